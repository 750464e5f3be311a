#pragma once

#include <filesystem>
#include <string>

#include "shared/config/config.hpp"

// Settings more than one command group reads, resolved the same way everywhere.
namespace edgesync::cli {

struct MigrationsDir {
    std::filesystem::path path;
    std::string source;  // "flag", "environment", ".env", "installed" or "default"
};

// MIGRATIONS_PATH (migrate --path, the environment, .env), else the installed
// share folder if it exists, else ./migrations. Never checks that it exists.
[[nodiscard]] MigrationsDir migrations_dir(const Config& config);

// "flag", "environment", ".env" or "default", for doctor and --verbose.
[[nodiscard]] const char* origin_name(ConfigOrigin origin);

}  // namespace edgesync::cli
