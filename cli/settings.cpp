#include "cli/settings.hpp"

#include <system_error>

#include "shared/version.hpp"

namespace edgesync::cli {

MigrationsDir migrations_dir(const Config& config) {
    if (auto path = config.get("MIGRATIONS_PATH"))
        return {*path, origin_name(config.origin("MIGRATIONS_PATH").value_or(ConfigOrigin::flag))};
    std::error_code ec;
    const std::filesystem::path installed = k_default_migrations_dir;
    if (std::filesystem::is_directory(installed, ec)) return {installed, "installed"};
    return {"./migrations", "default"};
}

const char* origin_name(ConfigOrigin origin) {
    switch (origin) {
        case ConfigOrigin::flag:
            return "flag";
        case ConfigOrigin::environment:
            return "environment";
        case ConfigOrigin::dotenv:
            return ".env";
        case ConfigOrigin::default_value:
            return "default";
    }
    return "default";
}

}  // namespace edgesync::cli
