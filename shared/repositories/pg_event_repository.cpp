#include "shared/repositories/pg_event_repository.hpp"

#include <pqxx/pqxx>

#include "shared/db/pg_errors.hpp"
#include "shared/db/pg_fields.hpp"
#include "shared/db/pg_pool.hpp"
#include "shared/util/uuid.hpp"

namespace edgesync {
namespace {

constexpr const char* k_list = "es_event_list";
constexpr const char* k_latest = "es_event_latest_seq";

SyncEvent to_event(const pqxx::row& r) {
    SyncEvent e;
    e.id = r["id"].c_str();
    e.account_id = r["account_id"].c_str();
    e.device_id = pg::to_text(r["device_id"]);
    e.event_type = r["event_type"].c_str();
    e.state_key = r["state_key"].c_str();
    e.sequence_number = r["sequence_number"].as<std::int64_t>();
    e.payload = r["payload"].c_str();
    e.created_at = pg::to_timestamp(r["created_at"]);
    return e;
}

}  // namespace

PgEventRepository::PgEventRepository(PgPool& pool) : m_pool(pool) {
    m_pool.declare(k_list,
                   "SELECT id, account_id, device_id, event_type, state_key, sequence_number, "
                   "       payload::text AS payload, created_at "
                   "  FROM sync_events WHERE account_id = $1 AND sequence_number > $2 "
                   " ORDER BY sequence_number LIMIT $3");
    m_pool.declare(k_latest, "SELECT last_seq FROM accounts WHERE id = $1");
}

std::vector<SyncEvent> PgEventRepository::list(const std::string& account_id, std::int64_t after,
                                               std::size_t limit) {
    if (!is_uuid(account_id) || limit == 0) return {};
    return pg::guard("list events", [&] {
        const auto res = m_pool.read([&](pqxx::nontransaction& tx) {
            return tx.exec_prepared(k_list, account_id, after, pg::clamp_bigint(limit));
        });
        std::vector<SyncEvent> out;
        out.reserve(res.size());
        for (const auto& r : res) out.push_back(to_event(r));
        return out;
    });
}

std::int64_t PgEventRepository::latest_seq(const std::string& account_id) {
    if (!is_uuid(account_id)) return 0;
    return pg::guard("latest event", [&]() -> std::int64_t {
        const auto res = m_pool.read(
            [&](pqxx::nontransaction& tx) { return tx.exec_prepared(k_latest, account_id); });
        return res.empty() ? 0 : res[0][0].as<std::int64_t>();
    });
}

}  // namespace edgesync
