#include "shared/migrate/version_table.hpp"

#include <fmt/format.h>

#include "shared/migrate/lock_key.hpp"

namespace edgesync::migrate::detail {
namespace {

constexpr std::int64_t k_nil_version = -1;  // golang-migrate's database.NilVersion
constexpr const char* k_table = "schema_migrations";

}  // namespace

VersionTable::VersionTable(pqxx::connection_base& conn) {
    pqxx::nontransaction tx(conn);
    const auto row = tx.exec1("SELECT current_database(), coalesce(current_schema(), 'public')");
    const auto schema = row[1].as<std::string>();
    m_name = tx.quote_name(schema) + "." + tx.quote_name(k_table);
    m_lock_key = golang_migrate_lock_key(row[0].as<std::string>(), schema, k_table);
}

SchemaVersion VersionTable::read(pqxx::transaction_base& tx) const {
    if (tx.exec_params1("SELECT to_regclass($1) IS NULL", m_name)[0].as<bool>()) return {};
    const auto r = tx.exec("SELECT version, dirty FROM " + m_name + " LIMIT 1");
    if (r.empty()) return {};
    SchemaVersion v;
    const auto version = r[0][0].as<std::int64_t>();
    if (version != k_nil_version) v.version = version;
    v.dirty = r[0][1].as<bool>();
    return v;
}

void VersionTable::ensure(pqxx::transaction_base& tx) const {
    tx.exec0("CREATE TABLE IF NOT EXISTS " + m_name +
             " (version bigint not null primary key, dirty boolean not null)");
}

void VersionTable::write(pqxx::transaction_base& tx, std::optional<std::int64_t> version,
                         bool dirty) const {
    tx.exec0("DELETE FROM " + m_name);
    if (version || dirty)
        tx.exec_params0("INSERT INTO " + m_name + " (version, dirty) VALUES ($1, $2)",
                        version.value_or(k_nil_version), dirty);
}

AdvisoryLock::AdvisoryLock(pqxx::connection_base& conn, std::int64_t key,
                           const std::function<void(std::string_view)>& on_wait)
    : m_conn(conn), m_key(key) {
    pqxx::nontransaction tx(m_conn);
    if (tx.exec_params1("SELECT pg_try_advisory_lock($1)", m_key)[0].as<bool>()) return;
    if (on_wait)
        on_wait(
            fmt::format("waiting for another migration run to finish (advisory lock {})", m_key));
    tx.exec_params("SELECT pg_advisory_lock($1)", m_key);
}

AdvisoryLock::~AdvisoryLock() {
    try {
        pqxx::nontransaction tx(m_conn);
        tx.exec_params("SELECT pg_advisory_unlock($1)", m_key);
    } catch (...) {  // NOLINT(bugprone-empty-catch)
        // The connection broke: the session, and with it the lock, is gone.
    }
}

}  // namespace edgesync::migrate::detail
