#pragma once

// Internal to shared/migrate (includes libpqxx): schema_migrations access and
// the advisory lock. Include only from shared/migrate/*.cpp.

#include <pqxx/pqxx>

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "shared/migrate/plan.hpp"

namespace edgesync::migrate::detail {

// The single row of schema_migrations; none (clean) when the table or the row
// is missing; version -1 reads as none.
[[nodiscard]] SchemaVersion read_version(pqxx::transaction_base& tx);

// CREATE TABLE schema_migrations exactly as golang-migrate does, if missing.
void ensure_version_table(pqxx::transaction_base& tx);

// Replaces the row, like golang-migrate's SetVersion: no row for a clean
// "none", (-1, true) for a dirty "none".
void write_version(pqxx::transaction_base& tx, std::optional<std::int64_t> version, bool dirty);

// golang-migrate's lock key for this connection's database and schema.
[[nodiscard]] std::int64_t lock_key(pqxx::connection_base& conn);

// A session-level pg_advisory_lock, held from construction to destruction.
// Waits (unbounded, like golang-migrate) when another session holds it,
// calling on_wait once first. The connection must outlive the lock and have
// no open transaction when either end runs.
class AdvisoryLock {
  public:
    AdvisoryLock(pqxx::connection_base& conn, std::int64_t key,
                 const std::function<void(std::string_view)>& on_wait);
    ~AdvisoryLock();
    AdvisoryLock(const AdvisoryLock&) = delete;
    AdvisoryLock& operator=(const AdvisoryLock&) = delete;

  private:
    pqxx::connection_base& m_conn;
    std::int64_t m_key;
};

}  // namespace edgesync::migrate::detail
