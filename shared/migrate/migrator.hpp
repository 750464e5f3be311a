#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/migrate/migration_files.hpp"
#include "shared/migrate/plan.hpp"
#include "shared/util/error.hpp"

// The migration runner, compatible with golang-migrate's Postgres driver:
// same file format, same `schema_migrations(version bigint, dirty boolean)`
// single-row table, same advisory lock key. A database migrated by
// golang-migrate is picked up as is, and the reverse.
//
// Differences, on purpose: each file runs inside a transaction together with
// its schema_migrations update, so a failed file leaves no half-applied
// schema (the version is still marked dirty, as golang-migrate does, so an
// operator looks before going on). Files therefore must not contain
// statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY,
// VACUUM) nor their own BEGIN/COMMIT.
namespace edgesync::migrate {

struct AppliedMigration {
    std::int64_t version = 0;
    std::string name;  // e.g. "000001_init"
    Direction direction = Direction::up;
    std::chrono::milliseconds duration{0};
};

struct RunResult {
    SchemaVersion before;
    SchemaVersion after;
    std::vector<AppliedMigration> applied;  // in the order they ran
};

struct MigrationStatus {
    Migration migration;
    bool applied = false;  // version <= the database's version
};

struct Status {
    SchemaVersion version;
    std::vector<MigrationStatus> migrations;
    // False when the database's version has no file here (wrong directory?).
    bool version_has_file = true;
};

// A migration's SQL failed. Its transaction was rolled back, and
// schema_migrations now says (dirty_version, dirty) so that every later run
// refuses until `force`. The message names the file, Postgres's message and
// the line, and says which version to force. Exit code: conflict (4).
class MigrationFailed : public Error {
  public:
    MigrationFailed(std::string file, std::string pg_message, std::optional<int> line,
                    SchemaVersion dirty, std::optional<std::int64_t> force_to);
    [[nodiscard]] const std::string& file() const noexcept { return m_file; }
    [[nodiscard]] const std::string& pg_message() const noexcept { return m_pg_message; }
    [[nodiscard]] const SchemaVersion& dirty_version() const noexcept { return m_dirty; }

  private:
    std::string m_file;
    std::string m_pg_message;
    SchemaVersion m_dirty;
};

// One Migrator owns one Postgres connection. Not thread-safe: use one per
// thread. Concurrent runs (threads, processes, hosts) serialise on a
// session-level pg_advisory_lock held for each whole up/down/goto/force call;
// a waiting run re-reads the version once it has the lock, so each file is
// applied once. version() and status() read without the lock.
//
// Errors: ConnectionError when the database is unreachable within the
// timeout or the connection breaks; Error from the files (see
// load_migrations) and the planners (see plan.hpp); MigrationFailed;
// StorageError for any other database failure.
class Migrator {
  public:
    struct Options {
        std::string database_url{};   // postgres:// URL or libpq conninfo
        std::filesystem::path dir{};  // read lazily: version() and force() work without it
        std::chrono::seconds connect_timeout{5};
        // Called after each migration commits (e.g. to print progress).
        std::function<void(const AppliedMigration&)> on_applied{};
        // Called once when another run holds the lock and this one waits.
        std::function<void(std::string_view)> on_lock_wait{};
        // Server notices ("table ... does not exist, skipping"), e.g. for --verbose.
        std::function<void(std::string_view)> on_notice{};
    };

    // Connects (bounded by connect_timeout). Throws ConnectionError.
    explicit Migrator(Options options);
    ~Migrator();
    Migrator(const Migrator&) = delete;
    Migrator& operator=(const Migrator&) = delete;

    // The files, loaded and validated on first use.
    [[nodiscard]] const std::vector<Migration>& migrations();

    [[nodiscard]] SchemaVersion version();
    [[nodiscard]] Status status();

    // What down/goto would run now (for a confirmation prompt). No lock.
    [[nodiscard]] std::vector<Step> plan_down(std::optional<std::size_t> limit);
    [[nodiscard]] std::vector<Step> plan_goto(std::int64_t target);

    // limit nullopt = all. Nothing to do is a success with `applied` empty.
    RunResult up(std::optional<std::size_t> limit = std::nullopt);
    RunResult down(std::optional<std::size_t> limit);
    RunResult goto_version(std::int64_t target);

    // Sets the version (nullopt: none) and clears dirty without running
    // anything; creates schema_migrations if missing. Any version is
    // accepted, as golang-migrate does. Returns the new state.
    SchemaVersion force(std::optional<std::int64_t> version);

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;  // never null
};

}  // namespace edgesync::migrate
