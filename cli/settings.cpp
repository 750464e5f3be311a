#include "cli/settings.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <system_error>

#include "shared/util/error.hpp"

namespace edgesync::cli {
namespace {

namespace fs = std::filesystem;

// The running executable's directory, or empty if /proc is unavailable.
fs::path executable_dir() {
    std::error_code ec;
    const auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec || exe.empty()) return {};
    return exe.parent_path();
}

}  // namespace

std::vector<fs::path> default_migrations_dirs() {
    std::vector<fs::path> dirs;
    if (const auto bin = executable_dir(); !bin.empty())
        dirs.push_back((bin / ".." / "share" / "edgesync" / "migrations").lexically_normal());
    dirs.emplace_back(EDGESYNC_SOURCE_MIGRATIONS_DIR);
    return dirs;
}

MigrationsDir migrations_dir(const Config& config) {
    if (auto path = config.get("MIGRATIONS_PATH"))
        return {*path, origin_name(config.origin("MIGRATIONS_PATH").value_or(ConfigOrigin::flag)),
                {}};
    MigrationsDir out{{}, "none", default_migrations_dirs()};
    for (std::size_t i = 0; i < out.tried.size(); ++i) {
        std::error_code ec;
        if (!fs::is_directory(out.tried[i], ec)) continue;
        out.path = out.tried[i];
        out.source = i == 0 ? "installed" : "source tree";
        break;
    }
    return out;
}

std::string tried_list(const MigrationsDir& dir) {
    std::vector<std::string> tried;
    for (const auto& p : dir.tried) tried.push_back(p.string());
    return fmt::format("{}", fmt::join(tried, ", "));
}

fs::path require_migrations_dir(const MigrationsDir& dir) {
    if (!dir.path.empty()) return dir.path;
    throw Error(fmt::format("no migrations directory found (tried {}): pass --path DIR or set "
                            "MIGRATIONS_PATH",
                            tried_list(dir)),
                ExitCode::not_found);
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
