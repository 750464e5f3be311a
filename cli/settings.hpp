#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "shared/config/config.hpp"

// Settings more than one command group reads, resolved the same way everywhere.
namespace edgesync::cli {

struct MigrationsDir {
    std::filesystem::path path;  // empty when nothing was set and no default exists
    // "flag", "environment", ".env" (MIGRATIONS_PATH), "installed" (next to the
    // executable), "source tree" (the checkout this binary was built from) or
    // "none" (no default exists: see tried).
    std::string source;
    std::vector<std::filesystem::path> tried;  // the defaults looked at, in order
};

// The default locations, in the order they are tried: the installed share
// folder relative to the running executable (<exe dir>/../share/edgesync/migrations,
// so a package installed under any prefix, or unpacked anywhere, finds its own
// files), then the migrations/ of the source tree the binary was built from
// (developers running build/edgesync).
[[nodiscard]] std::vector<std::filesystem::path> default_migrations_dirs();

// MIGRATIONS_PATH (migrate --path, the environment, .env) as given, without
// checking that it exists; else the first default location that is a directory;
// else source "none" with an empty path.
[[nodiscard]] MigrationsDir migrations_dir(const Config& config);

// The defaults tried, comma-separated, for messages.
[[nodiscard]] std::string tried_list(const MigrationsDir& dir);

// `dir.path`, or throws a NotFoundError naming the locations tried when no
// default exists.
[[nodiscard]] std::filesystem::path require_migrations_dir(const MigrationsDir& dir);

// "flag", "environment", ".env" or "default", for doctor and --verbose.
[[nodiscard]] const char* origin_name(ConfigOrigin origin);

}  // namespace edgesync::cli
