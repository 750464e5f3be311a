#include "shared/repositories/pg_device_repository.hpp"

#include <pqxx/pqxx>

#include "shared/db/pg_errors.hpp"
#include "shared/db/pg_fields.hpp"
#include "shared/db/pg_pool.hpp"
#include "shared/util/error.hpp"
#include "shared/util/uuid.hpp"

namespace edgesync {
namespace {

const std::string k_columns =
    "id, account_id, name, device_type, public_key, last_seen_at, revoked_at, created_at, "
    "updated_at, deleted_at, wrapped_account_key, key_version";
const std::string k_live = " deleted_at IS NULL ";

constexpr const char* k_create = "es_device_create";
constexpr const char* k_find = "es_device_find";
constexpr const char* k_by_name = "es_device_by_name";
constexpr const char* k_list = "es_device_list";
constexpr const char* k_list_unrevoked = "es_device_list_unrevoked";
constexpr const char* k_rename = "es_device_rename";
constexpr const char* k_revoke = "es_device_revoke";
constexpr const char* k_revoke_all = "es_device_revoke_all";
constexpr const char* k_touch = "es_device_touch";
constexpr const char* k_set_key = "es_device_set_key";

Device to_device(const pqxx::row& r) {
    Device d;
    d.id = r["id"].c_str();
    d.account_id = r["account_id"].c_str();
    d.name = r["name"].c_str();
    const auto type = parse_device_type(r["device_type"].c_str());
    if (!type) throw StorageError(std::string("unknown device_type ") + r["device_type"].c_str());
    d.device_type = *type;
    d.public_key = pg::to_bytes(r["public_key"]);
    d.last_seen_at = pg::to_optional_timestamp(r["last_seen_at"]);
    d.revoked_at = pg::to_optional_timestamp(r["revoked_at"]);
    d.created_at = pg::to_timestamp(r["created_at"]);
    d.updated_at = pg::to_timestamp(r["updated_at"]);
    d.deleted_at = pg::to_optional_timestamp(r["deleted_at"]);
    d.wrapped_account_key = pg::to_optional_bytes(r["wrapped_account_key"]);
    d.key_version = r["key_version"].as<std::int32_t>();
    return d;
}

std::vector<Device> to_devices(const pqxx::result& res) {
    std::vector<Device> out;
    out.reserve(res.size());
    for (const auto& r : res) out.push_back(to_device(r));
    return out;
}

}  // namespace

PgDeviceRepository::PgDeviceRepository(PgPool& pool) : m_pool(pool) {
    const std::string order = " ORDER BY created_at, id";
    m_pool.declare(k_create,
                   "INSERT INTO devices (account_id, name, device_type, public_key) "
                   "SELECT id, $2, $3, NULLIF($4, ''::bytea) FROM accounts "
                   " WHERE id = $1 AND deleted_at IS NULL RETURNING " +
                       k_columns);
    m_pool.declare(k_find, "SELECT " + k_columns +
                               " FROM devices WHERE account_id = $1 AND id = $2 AND" + k_live);
    m_pool.declare(k_by_name, "SELECT " + k_columns +
                                  " FROM devices WHERE account_id = $1 AND name = $2 AND" + k_live +
                                  order);
    m_pool.declare(
        k_list, "SELECT " + k_columns + " FROM devices WHERE account_id = $1 AND" + k_live + order);
    m_pool.declare(k_list_unrevoked, "SELECT " + k_columns +
                                         " FROM devices WHERE account_id = $1 AND" + k_live +
                                         "AND revoked_at IS NULL" + order);
    m_pool.declare(k_rename,
                   "UPDATE devices SET name = $3, updated_at = now() "
                   "WHERE account_id = $1 AND id = $2 AND" +
                       k_live + "RETURNING " + k_columns);
    // Idempotent: a second revoke keeps the first revoked_at and updated_at.
    m_pool.declare(k_revoke,
                   "UPDATE devices SET revoked_at = coalesce(revoked_at, now()), "
                   "  updated_at = CASE WHEN revoked_at IS NULL THEN now() ELSE updated_at END, "
                   "  wrapped_account_key = NULL "
                   "WHERE account_id = $1 AND id = $2 AND" +
                       k_live + "RETURNING " + k_columns);
    m_pool.declare(k_revoke_all,
                   "UPDATE devices SET revoked_at = now(), updated_at = now(), "
                   "  wrapped_account_key = NULL "
                   "WHERE account_id = $1 AND revoked_at IS NULL AND" +
                       k_live + "RETURNING id");
    m_pool.declare(k_touch,
                   "UPDATE devices SET last_seen_at = greatest(last_seen_at, $3::timestamptz) "
                   "WHERE account_id = $1 AND id = $2 AND" +
                       k_live);
    m_pool.declare(k_set_key,
                   "UPDATE devices SET wrapped_account_key = $3, key_version = $4, "
                   "  updated_at = now() "
                   "WHERE account_id = $1 AND id = $2 AND revoked_at IS NULL AND" +
                       k_live + "RETURNING " + k_columns);
}

std::expected<Device, DeviceError> PgDeviceRepository::create(const NewDevice& d) {
    if (!is_uuid(d.account_id)) return std::unexpected(DeviceError::account_not_found);
    return pg::guard("create device", [&]() -> std::expected<Device, DeviceError> {
        const auto res = m_pool.write([&](pqxx::nontransaction& tx) {
            return tx.exec_prepared(k_create, d.account_id, d.name,
                                    std::string(to_string(d.device_type)), pg::bytea(d.public_key));
        });
        if (res.empty()) return std::unexpected(DeviceError::account_not_found);
        return to_device(res[0]);
    });
}

std::optional<Device> PgDeviceRepository::find(const std::string& account_id,
                                               const std::string& device_id) {
    if (!is_uuid(account_id) || !is_uuid(device_id)) return std::nullopt;
    return pg::guard("find device", [&]() -> std::optional<Device> {
        const auto res = m_pool.read([&](pqxx::nontransaction& tx) {
            return tx.exec_prepared(k_find, account_id, device_id);
        });
        if (res.empty()) return std::nullopt;
        return to_device(res[0]);
    });
}

std::vector<Device> PgDeviceRepository::query_list(const char* statement,
                                                   const std::string& account_id,
                                                   const std::string& arg) {
    if (!is_uuid(account_id)) return {};
    return pg::guard("list devices", [&] {
        return to_devices(m_pool.read([&](pqxx::nontransaction& tx) {
            return arg.empty() ? tx.exec_prepared(statement, account_id)
                               : tx.exec_prepared(statement, account_id, arg);
        }));
    });
}

std::vector<Device> PgDeviceRepository::find_by_name(const std::string& account_id,
                                                     const std::string& name) {
    if (name.empty()) return {};
    return query_list(k_by_name, account_id, name);
}

std::vector<Device> PgDeviceRepository::list(const std::string& account_id, bool include_revoked) {
    return query_list(include_revoked ? k_list : k_list_unrevoked, account_id, {});
}

std::expected<Device, DeviceError> PgDeviceRepository::rename(const std::string& account_id,
                                                              const std::string& device_id,
                                                              const std::string& name) {
    if (!is_uuid(account_id) || !is_uuid(device_id)) return std::unexpected(DeviceError::not_found);
    return pg::guard("rename device", [&]() -> std::expected<Device, DeviceError> {
        const auto res = m_pool.write([&](pqxx::nontransaction& tx) {
            return tx.exec_prepared(k_rename, account_id, device_id, name);
        });
        if (res.empty()) return std::unexpected(DeviceError::not_found);
        return to_device(res[0]);
    });
}

std::expected<Device, DeviceError> PgDeviceRepository::revoke(const std::string& account_id,
                                                              const std::string& device_id) {
    if (!is_uuid(account_id) || !is_uuid(device_id)) return std::unexpected(DeviceError::not_found);
    return pg::guard("revoke device", [&]() -> std::expected<Device, DeviceError> {
        const auto res = m_pool.write([&](pqxx::nontransaction& tx) {
            return tx.exec_prepared(k_revoke, account_id, device_id);
        });
        if (res.empty()) return std::unexpected(DeviceError::not_found);
        return to_device(res[0]);
    });
}

std::vector<std::string> PgDeviceRepository::revoke_all(const std::string& account_id) {
    if (!is_uuid(account_id)) return {};
    return pg::guard("revoke devices", [&] {
        const auto res = m_pool.write(
            [&](pqxx::nontransaction& tx) { return tx.exec_prepared(k_revoke_all, account_id); });
        std::vector<std::string> ids;
        ids.reserve(res.size());
        for (const auto& r : res) ids.emplace_back(r[0].c_str());
        return ids;
    });
}

void PgDeviceRepository::touch_last_seen(const std::string& account_id,
                                         const std::string& device_id, Timestamp at) {
    if (!is_uuid(account_id) || !is_uuid(device_id)) return;
    pg::guard("touch device", [&] {
        m_pool.write([&](pqxx::nontransaction& tx) {
            tx.exec_prepared(k_touch, account_id, device_id, pg::timestamp_param(at));
        });
    });
}

std::expected<Device, DeviceError> PgDeviceRepository::set_wrapped_key(
    const std::string& account_id, const std::string& device_id, const Bytes& wrapped,
    std::int32_t key_version) {
    if (!is_uuid(account_id) || !is_uuid(device_id)) return std::unexpected(DeviceError::not_found);
    return pg::guard("set wrapped key", [&]() -> std::expected<Device, DeviceError> {
        const auto res = m_pool.write([&](pqxx::nontransaction& tx) {
            return tx.exec_prepared(k_set_key, account_id, device_id, pg::bytea(wrapped),
                                    key_version);
        });
        if (!res.empty()) return to_device(res[0]);
        // Refused: say why (a second read only on this rare path).
        const auto current = find(account_id, device_id);
        if (!current) return std::unexpected(DeviceError::not_found);
        return std::unexpected(DeviceError::revoked);
    });
}

}  // namespace edgesync
