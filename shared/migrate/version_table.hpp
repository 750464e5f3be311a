#pragma once

// Internal to shared/migrate (includes libpqxx): schema_migrations access and
// the advisory lock. Include only from shared/migrate/*.cpp.

#include <pqxx/pqxx>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "shared/migrate/plan.hpp"

namespace edgesync::migrate::detail {

// golang-migrate's schema_migrations table in the schema that is current when
// the session starts (golang-migrate's choice too), always named with its
// schema so that a migration changing search_path cannot redirect it.
class VersionTable {
  public:
    // Reads current_database() and current_schema() (public when none).
    explicit VersionTable(pqxx::connection_base& conn);

    // golang-migrate's advisory lock key for this database and schema.
    [[nodiscard]] std::int64_t lock_key() const noexcept { return m_lock_key; }

    // The single row; none (clean) when the table or the row is missing;
    // version -1 reads as none.
    [[nodiscard]] SchemaVersion read(pqxx::transaction_base& tx) const;

    // CREATE TABLE exactly as golang-migrate does, if missing.
    void ensure(pqxx::transaction_base& tx) const;

    // Replaces the row, like golang-migrate's SetVersion: no row for a clean
    // "none", (-1, true) for a dirty "none".
    void write(pqxx::transaction_base& tx, std::optional<std::int64_t> version, bool dirty) const;

  private:
    std::string m_name;  // quoted "schema"."schema_migrations"
    std::int64_t m_lock_key = 0;
};

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
