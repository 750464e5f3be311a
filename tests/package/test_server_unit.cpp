// scripts/packaging/edgesync-server.service: what systemd will do with it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "shared/util/error.hpp"
#include "tests/support/run_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unit_file.hpp"

namespace edgesync::test {
namespace {

namespace fs = std::filesystem;

const fs::path k_unit = fs::path(EDGESYNC_SOURCE_DIR) / "scripts/packaging/edgesync-server.service";

using test::read_text_file;
using test::unit_setting;

ProcessResult run(std::vector<std::string> args) {
    ProcessOptions options;
    options.args = std::move(args);
    return run_process(options);
}

TEST(ServerUnit, DoesNotRestartOnConfigurationOrSchemaErrorsAndIsHardened) {
    const auto unit = read_text_file(k_unit);
    ASSERT_FALSE(unit.empty()) << k_unit;
    EXPECT_EQ(unit_setting(unit, "ExecStart"), "/usr/bin/edgesync-server");
    EXPECT_EQ(unit_setting(unit, "Restart"), "on-failure");
    // The exit codes the server uses for "fix the configuration" and "migrate
    // first" (shared/util/error.hpp): restarting would only loop.
    EXPECT_EQ(unit_setting(unit, "RestartPreventExitStatus"),
              std::to_string(static_cast<int>(ExitCode::usage)) + " " +
                  std::to_string(static_cast<int>(ExitCode::conflict)));
    EXPECT_EQ(unit_setting(unit, "EnvironmentFile"), "/etc/edgesync/server.env");
    EXPECT_EQ(unit_setting(unit, "DynamicUser"), "yes");
    EXPECT_EQ(unit_setting(unit, "ProtectSystem"), "strict");
    EXPECT_EQ(unit_setting(unit, "NoNewPrivileges"), "yes");
    EXPECT_EQ(unit_setting(unit, "PrivateTmp"), "yes");
    EXPECT_EQ(unit_setting(unit, "CapabilityBoundingSet"), "");
    EXPECT_EQ(unit_setting(unit, "MemoryDenyWriteExecute"), "yes");
}

TEST(ServerUnit, SystemdAnalyzeVerifyAcceptsIt) {
    if (run({"sh", "-c", "command -v systemd-analyze"}).exit_code != 0)
        GTEST_SKIP() << "systemd-analyze not installed (Debian package: systemd)";
    ASSERT_TRUE(fs::exists(EDGESYNC_SERVER_BINARY)) << "build edgesync-server first";
    // verify checks that ExecStart= is executable: point it at the built server.
    TempDir dir;
    auto unit = read_text_file(k_unit);
    const std::string installed = "/usr/bin/edgesync-server";
    ASSERT_NE(unit.find(installed), std::string::npos);
    unit.replace(unit.find(installed), installed.size(), EDGESYNC_SERVER_BINARY);
    dir.write("edgesync-server.service", unit);
    const auto r = run({"systemd-analyze", "verify", (dir.path() / "edgesync-server.service").string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.err.find(".service:"), std::string::npos) << "warnings: " << r.err;
}

TEST(ServerUnit, ExampleConfigurationHoldsPlaceholdersOnly) {
    const auto example =
        read_text_file(fs::path(EDGESYNC_SOURCE_DIR) / "scripts/packaging/server.env.example");
    for (const char* name : {"DATABASE_URL", "REDIS_URL", "JWT_SECRET"}) {
        SCOPED_TRACE(name);
        const auto value = unit_setting(example, name);
        ASSERT_FALSE(value.empty());
        EXPECT_NE(value.find("CHANGE-ME"), std::string::npos) << value;
    }
}

}  // namespace
}  // namespace edgesync::test
