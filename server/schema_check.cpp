#include "server/schema_check.hpp"

#include <fmt/format.h>

#include "server/schema_version.hpp"
#include "shared/migrate/migrator.hpp"
#include "shared/util/error.hpp"

namespace edgesync::server {

SchemaVerdict evaluate_schema(const migrate::SchemaVersion& found, std::int64_t required) {
    if (found.dirty)
        return {false, fmt::format("the database schema is dirty at version {}: a migration failed "
                                   "part way; repair it, then run `edgesync migrate force VERSION`",
                                   found.version ? std::to_string(*found.version) : "none")};
    if (!found.version || *found.version < required)
        return {false,
                fmt::format("the database schema is at version {}, this server needs {}: "
                            "run `edgesync migrate up`",
                            found.version ? std::to_string(*found.version) : "none", required)};
    if (*found.version > required)
        return {true, fmt::format("the database schema is at version {}, newer than the {} this "
                                  "server was built for",
                                  *found.version, required)};
    return {};
}

std::string check_schema(const std::string& database_url, std::chrono::seconds connect_timeout) {
    migrate::Migrator migrator({.database_url = database_url, .connect_timeout = connect_timeout});
    const auto verdict = evaluate_schema(migrator.version(), k_required_schema_version);
    if (!verdict.ok) throw Error(verdict.message, ExitCode::conflict);
    return verdict.message;
}

}  // namespace edgesync::server
