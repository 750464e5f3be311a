#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include "shared/migrate/plan.hpp"

// The server refuses to run against a schema it was not built for: a dirty
// one (a migration failed half way) or an older one (pending migrations). A
// newer schema is accepted with a warning, so migrations can run before a
// rolling deploy of the servers that need them (migrations are additive).
namespace edgesync::server {

struct SchemaVerdict {
    bool ok = true;       // false: refuse to start
    std::string message;  // one line: why to refuse, or a warning; empty when exactly right
};

[[nodiscard]] SchemaVerdict evaluate_schema(const migrate::SchemaVersion& found,
                                            std::int64_t required);

// Reads schema_migrations (no lock, no migration files needed) and evaluates
// it against k_required_schema_version. Throws ConnectionError when Postgres
// is unreachable within `connect_timeout`, Error(conflict) with the verdict's
// message when the schema is dirty or behind. Returns a warning, if any.
[[nodiscard]] std::string check_schema(const std::string& database_url,
                                       std::chrono::seconds connect_timeout);

}  // namespace edgesync::server
