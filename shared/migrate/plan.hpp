#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shared/migrate/migration_files.hpp"
#include "shared/util/error.hpp"

// Deciding which files to run is pure: from the files and the database's
// version to an ordered list of steps. No database here, so every rule is
// unit-tested without one.
namespace edgesync::migrate {

// What `schema_migrations` says. golang-migrate keeps one row (version,
// dirty); no row means nothing is applied; a row with version -1 (written
// when reverting the first migration fails) means "nothing, dirty".
struct SchemaVersion {
    std::optional<std::int64_t> version;  // nullopt: no migration applied
    bool dirty = false;

    friend bool operator==(const SchemaVersion&, const SchemaVersion&) = default;
};

// "1", "1 (dirty)", "none".
[[nodiscard]] std::string describe(const SchemaVersion& v);

struct Step {
    Migration migration;
    Direction direction = Direction::up;
    // The database's version once this step is done: the migration's version
    // going up, the previous one going down (nullopt: none left).
    std::optional<std::int64_t> target;
};

// The database is dirty: a migration failed part way. Nothing runs until an
// operator repairs the schema and calls force.
class DirtyDatabase : public Error {
  public:
    explicit DirtyDatabase(const SchemaVersion& v);
};

// Every planner throws DirtyDatabase when `current` is dirty, and
// Error(conflict) when the current version has no file (wrong directory, or
// files removed). limit nullopt = no limit.
//
// The next `limit` migrations above the current version.
[[nodiscard]] std::vector<Step> plan_up(const std::vector<Migration>& files,
                                        const SchemaVersion& current,
                                        std::optional<std::size_t> limit);
// The last `limit` applied migrations, newest first. Throws Error(failure)
// naming the file when one of them has no down file (before anything runs).
[[nodiscard]] std::vector<Step> plan_down(const std::vector<Migration>& files,
                                          const SchemaVersion& current,
                                          std::optional<std::size_t> limit);
// Up or down to exactly `target`, which must be a file's version
// (Error(not_found) otherwise).
[[nodiscard]] std::vector<Step> plan_goto(const std::vector<Migration>& files,
                                          const SchemaVersion& current, std::int64_t target);

}  // namespace edgesync::migrate
