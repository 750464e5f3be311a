#include "shared/repositories/pg_state_repository.hpp"

#include <stdexcept>
#include <string_view>

#include <pqxx/pqxx>

#include "shared/db/pg_errors.hpp"
#include "shared/db/pg_fields.hpp"
#include "shared/db/pg_pool.hpp"
#include "shared/util/error.hpp"
#include "shared/util/uuid.hpp"

namespace edgesync {
namespace {

const std::string k_columns =
    "id, account_id, device_id, key, state, nonce, version, seq, size, created_at, updated_at, "
    "deleted_at";
const std::string k_meta_columns =
    "id, account_id, device_id, key, version, seq, size, created_at, updated_at, deleted_at";

constexpr const char* k_write = "es_state_write";
constexpr const char* k_write_batch = "es_state_write_batch";
constexpr const char* k_get = "es_state_get";
constexpr const char* k_changes = "es_state_changes";
constexpr const char* k_any_after = "es_state_any_after";
constexpr const char* k_list_meta = "es_state_list_meta";

// A larger page than any caller can use, small enough that LIMIT $n + 1 never overflows.
constexpr std::size_t k_max_page_rows = 1'000'000'000;

EncryptedState to_state(const pqxx::row& r, bool with_blobs) {
    EncryptedState s;
    s.id = r["id"].c_str();
    s.account_id = r["account_id"].c_str();
    s.device_id = r["device_id"].c_str();
    s.key = r["key"].c_str();
    if (with_blobs) {
        s.state = pg::to_bytes(r["state"]);
        s.nonce = pg::to_bytes(r["nonce"]);
    }
    s.version = r["version"].as<std::int64_t>();
    s.seq = r["seq"].as<std::int64_t>();
    s.size = r["size"].as<std::int64_t>();
    s.created_at = pg::to_timestamp(r["created_at"]);
    s.updated_at = pg::to_timestamp(r["updated_at"]);
    s.deleted_at = pg::to_optional_timestamp(r["deleted_at"]);
    return s;
}

// The cur_* columns of es_write_state / es_write_batch: the key as it is.
std::optional<EncryptedState> current_from(const pqxx::row& r, const std::string& account_id,
                                           const std::string& key) {
    if (r["cur_id"].is_null()) return std::nullopt;
    EncryptedState s;
    s.id = r["cur_id"].c_str();
    s.account_id = account_id;
    s.device_id = r["cur_device"].c_str();
    s.key = key;
    s.state = pg::to_bytes(r["cur_state"]);
    s.nonce = pg::to_bytes(r["cur_nonce"]);
    s.version = r["cur_version"].as<std::int64_t>();
    s.seq = r["cur_seq"].as<std::int64_t>();
    s.size = r["cur_size"].as<std::int64_t>();
    s.created_at = pg::to_timestamp(r["cur_created"]);
    s.updated_at = pg::to_timestamp(r["cur_updated"]);
    s.deleted_at = pg::to_optional_timestamp(r["cur_deleted"]);
    return s;
}


// es_write_state's p_expect_version: 0 = must not exist. A version_is of 0 or
// less can never match an existing row, so it must not turn into "create".
std::int64_t expected_version(const Precondition& p) {
    if (p.kind == Precondition::Kind::must_not_exist) return 0;
    return p.version > 0 ? p.version : -1;
}

bool is_delete(const StateWrite& w) { return std::holds_alternative<DeleteState>(w.op); }

const PutState* put_of(const StateWrite& w) { return std::get_if<PutState>(&w.op); }

std::string int_array(const std::vector<std::int64_t>& items) {
    std::string out = "{";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += ',';
        out += std::to_string(items[i]);
    }
    return out + "}";
}

}  // namespace

WriteRejection::Reason write_rejection_reason(std::string_view status) {
    if (status == "conflict") return WriteRejection::Reason::conflict;
    if (status == "not_found") return WriteRejection::Reason::not_found;
    if (status == "quota_exceeded") return WriteRejection::Reason::quota_exceeded;
    if (status == "account_missing") return WriteRejection::Reason::account_missing;
    if (status == "device_revoked") return WriteRejection::Reason::device_revoked;
    throw StorageError("state write: unknown status '" + std::string(status) + "'");
}

PgStateRepository::PgStateRepository(PgPool& pool) : m_pool(pool) {
    m_pool.declare(k_write, "SELECT * FROM es_write_state($1, $2, $3, $4, $5, $6, $7)");
    m_pool.declare(k_write_batch,
                   "SELECT * FROM es_write_batch($1, $2::uuid[], $3::text[], $4::bigint[], "
                   "$5::boolean[], $6, $7::integer[], $8, $9::integer[]) ORDER BY idx");
    m_pool.declare(
        k_get, "SELECT " + k_columns + " FROM encrypted_states WHERE account_id = $1 AND key = $2");
    // The page is cut where the running blob size passes the budget (the first
    // row always goes). cand reads one row more than the limit to know `more`;
    // blobs are read only for the rows picked.
    m_pool.declare(k_changes,
                   "WITH cand AS ("
                   "  SELECT seq, row_number() OVER w AS rn, sum(size) OVER w AS running"
                   "    FROM encrypted_states WHERE account_id = $1 AND seq > $2"
                   "  WINDOW w AS (ORDER BY seq ROWS UNBOUNDED PRECEDING)"
                   "  ORDER BY seq LIMIT $3 + 1), "
                   "pick AS (SELECT seq FROM cand WHERE rn <= $3 AND (rn = 1 OR running <= $4)) "
                   "SELECT " +
                       k_columns +
                       ", "
                       "  (SELECT count(*) FROM cand) > (SELECT count(*) FROM pick) AS more "
                       "FROM encrypted_states JOIN pick USING (seq) "
                       "WHERE account_id = $1 ORDER BY seq");
    m_pool.declare(k_any_after,
                   "SELECT EXISTS (SELECT 1 FROM encrypted_states "
                   "               WHERE account_id = $1 AND seq > $2)");
    m_pool.declare(k_list_meta, "SELECT " + k_meta_columns +
                                    " FROM encrypted_states WHERE account_id = $1 "
                                    "ORDER BY key LIMIT $2 OFFSET $3");
}

std::expected<WriteResult, WriteRejection> PgStateRepository::write(const StateWrite& w) {
    if (!is_uuid(w.account_id))
        return std::unexpected(WriteRejection{WriteRejection::Reason::account_missing, {}});
    static const Bytes k_empty;
    const PutState* put = put_of(w);
    return pg::guard("write state", [&]() -> std::expected<WriteResult, WriteRejection> {
        const auto row = m_pool.write([&](pqxx::nontransaction& tx) {
            return tx.exec_prepared1(k_write, w.account_id, w.device_id, w.key,
                                     expected_version(w.precondition), is_delete(w),
                                     pg::bytea(put ? put->state : k_empty),
                                     pg::bytea(put ? put->nonce : k_empty));
        });
        const std::string_view status = row["status"].c_str();
        if (status == "ok")
            return WriteResult{row["new_version"].as<std::int64_t>(),
                               row["new_seq"].as<std::int64_t>()};
        return std::unexpected(
            WriteRejection{write_rejection_reason(status), current_from(row, w.account_id, w.key)});
    });
}

std::expected<std::vector<WriteResult>, BatchRejection> PgStateRepository::write_batch(
    const std::vector<StateWrite>& writes) {
    if (writes.empty()) return std::vector<WriteResult>{};
    const std::string& account_id = writes.front().account_id;
    for (const auto& w : writes)
        if (w.account_id != account_id)
            throw std::invalid_argument("write_batch: items name different accounts");
    if (!is_uuid(account_id))
        return std::unexpected(
            BatchRejection{0, WriteRejection{WriteRejection::Reason::account_missing, {}}});

    std::vector<std::string> devices, keys;
    std::vector<std::int64_t> versions, state_lengths, nonce_lengths;
    std::string deletes = "{";
    Bytes states, nonces;
    for (const auto& w : writes) {
        devices.push_back(w.device_id);
        keys.push_back(w.key);
        versions.push_back(expected_version(w.precondition));
        deletes += (deletes.size() > 1 ? ",t" : "t");
        if (!is_delete(w)) deletes.back() = 'f';
        const PutState* put = put_of(w);
        state_lengths.push_back(put ? static_cast<std::int64_t>(put->state.size()) : 0);
        nonce_lengths.push_back(put ? static_cast<std::int64_t>(put->nonce.size()) : 0);
        if (put) {
            states.insert(states.end(), put->state.begin(), put->state.end());
            nonces.insert(nonces.end(), put->nonce.begin(), put->nonce.end());
        }
    }
    deletes += '}';

    using Outcome = std::expected<std::vector<WriteResult>, BatchRejection>;
    return pg::guard("write state batch", [&]() -> Outcome {
        const auto res = m_pool.write([&](pqxx::nontransaction& tx) {
            return tx.exec_prepared(k_write_batch, account_id, pg::text_array(devices),
                                    pg::text_array(keys), int_array(versions), deletes,
                                    pg::bytea(states), int_array(state_lengths), pg::bytea(nonces),
                                    int_array(nonce_lengths));
        });
        if (res.empty()) throw StorageError("write state batch: no result");
        const auto& first = res[0];
        const std::string_view status = first["status"].c_str();
        if (status != "ok") {
            const auto index = first["idx"].as<std::size_t>();
            if (index >= writes.size()) throw StorageError("write state batch: bad item index");
            return std::unexpected(BatchRejection{
                index, WriteRejection{write_rejection_reason(status),
                                      current_from(first, account_id, writes[index].key)}});
        }
        if (res.size() != writes.size()) throw StorageError("write state batch: short result");
        std::vector<WriteResult> out;
        out.reserve(res.size());
        for (const auto& r : res)
            out.push_back({r["new_version"].as<std::int64_t>(), r["new_seq"].as<std::int64_t>()});
        return out;
    });
}

std::optional<EncryptedState> PgStateRepository::get(const std::string& account_id,
                                                     const std::string& key) {
    if (!is_uuid(account_id)) return std::nullopt;
    return pg::guard("get state", [&]() -> std::optional<EncryptedState> {
        const auto res = m_pool.read(
            [&](pqxx::nontransaction& tx) { return tx.exec_prepared(k_get, account_id, key); });
        if (res.empty()) return std::nullopt;
        return to_state(res[0], true);
    });
}

ChangesPage PgStateRepository::changes(const std::string& account_id, std::int64_t after,
                                       std::size_t limit, std::size_t byte_budget) {
    ChangesPage page;
    page.next = after;
    if (!is_uuid(account_id)) return page;
    return pg::guard("list changes", [&] {
        if (limit == 0) {
            page.more = m_pool.read([&](pqxx::nontransaction& tx) {
                return tx.exec_prepared1(k_any_after, account_id, after)[0].as<bool>();
            });
            return page;
        }
        const auto res = m_pool.read([&](pqxx::nontransaction& tx) {
            return tx.exec_prepared(k_changes, account_id, after,
                                    pg::clamp_bigint(std::min(limit, k_max_page_rows)),
                                    pg::clamp_bigint(byte_budget));
        });
        page.states.reserve(res.size());
        for (const auto& r : res) page.states.push_back(to_state(r, true));
        if (!res.empty()) {
            page.next = page.states.back().seq;
            page.more = res[0]["more"].as<bool>();
        }
        return page;
    });
}

std::vector<EncryptedState> PgStateRepository::list_metadata(const std::string& account_id,
                                                             std::size_t limit,
                                                             std::size_t offset) {
    if (!is_uuid(account_id)) return {};
    return pg::guard("list states", [&] {
        const auto res = m_pool.read([&](pqxx::nontransaction& tx) {
            return tx.exec_prepared(k_list_meta, account_id, pg::clamp_bigint(limit),
                                    pg::clamp_bigint(offset));
        });
        std::vector<EncryptedState> out;
        out.reserve(res.size());
        for (const auto& r : res) out.push_back(to_state(r, false));
        return out;
    });
}

}  // namespace edgesync
