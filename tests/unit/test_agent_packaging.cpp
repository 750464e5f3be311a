#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/exit_codes.hpp"
#include "tests/support/run_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unit_file.hpp"

namespace edgesync::agent {
namespace {

namespace fs = std::filesystem;

const fs::path k_packaging = fs::path(EDGESYNC_SOURCE_DIR) / "scripts/packaging";
constexpr const char* k_units[] = {"edgesync-agent.service", "edgesync-agent@.service"};

using test::read_text_file;
using test::unit_setting;

test::ProcessResult run(std::vector<std::string> args) {
    test::ProcessOptions options;
    options.args = std::move(args);
    return test::run_process(options);
}

bool have_systemd_analyze() {
    return run({"sh", "-c", "command -v systemd-analyze"}).exit_code == 0;
}

TEST(AgentPackaging, UnitsDeclareNotifyWatchdogAndTheRevokedExitCode) {
    for (const auto* name : k_units) {
        SCOPED_TRACE(name);
        const auto unit = read_text_file(k_packaging / name);
        EXPECT_EQ(unit_setting(unit, "Type"), "notify");
        EXPECT_FALSE(unit_setting(unit, "WatchdogSec").empty());
        EXPECT_EQ(unit_setting(unit, "Restart"), "on-failure");
        // systemd must not restart a revoked device: the code in the unit is the
        // one the agent exits with.
        EXPECT_EQ(unit_setting(unit, "RestartPreventExitStatus"), std::to_string(k_exit_revoked));
        EXPECT_EQ(unit_setting(unit, "ProtectSystem"), "strict");
        EXPECT_EQ(unit_setting(unit, "NoNewPrivileges"), "yes");
        EXPECT_EQ(unit_setting(unit, "PrivateTmp"), "yes");
        EXPECT_FALSE(unit_setting(unit, "StateDirectory").empty());
        EXPECT_FALSE(unit_setting(unit, "ReadWritePaths").empty());
        EXPECT_EQ(unit_setting(unit, "User"), "edgesync");
    }
}

TEST(AgentPackaging, SystemdAnalyzeVerifyAcceptsTheUnits) {
    if (!have_systemd_analyze())
        GTEST_SKIP() << "systemd-analyze not installed (Debian package: systemd)";
    ASSERT_TRUE(fs::exists(EDGESYNC_AGENT_BINARY)) << "build edgesync-agent first";
    // verify checks that ExecStart= is executable: point it at the built agent.
    test::TempDir dir;
    for (const auto* name : k_units) {
        auto unit = read_text_file(k_packaging / name);
        const std::string installed = "/usr/bin/edgesync-agent";
        ASSERT_NE(unit.find(installed), std::string::npos) << name;
        unit.replace(unit.find(installed), installed.size(), EDGESYNC_AGENT_BINARY);
        dir.write(name, unit);
    }
    // The template is verified through an instance, as systemd would load it.
    fs::copy_file(dir.path() / "edgesync-agent@.service",
                  dir.path() / "edgesync-agent@photos.service");
    for (const auto* name : {"edgesync-agent.service", "edgesync-agent@photos.service"}) {
        const auto r = run({"systemd-analyze", "verify", (dir.path() / name).string()});
        EXPECT_EQ(r.exit_code, 0) << name << ": " << test::describe(r);
        EXPECT_EQ(r.err.find(".service:"), std::string::npos) << name << " has warnings: " << r.err;
    }
}

TEST(AgentPackaging, SysusersAndTmpfilesCreateTheUserAndTheSyncFolder) {
    if (!have_systemd_analyze())
        GTEST_SKIP() << "systemd tools not installed (Debian package: systemd)";
    if (::geteuid() != 0)
        GTEST_SKIP() << "systemd-tmpfiles must chown to the new user: run as root";
    // Applied to a scratch root, never to this machine.
    test::TempDir root;
    root.write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    root.write("etc/group", "root:x:0:\n");
    fs::create_directories(root.path() / "srv");
    const auto users = run({"systemd-sysusers", "--root=" + root.path().string(),
                            (k_packaging / "edgesync-agent.sysusers.conf").string()});
    ASSERT_EQ(users.exit_code, 0) << test::describe(users);
    EXPECT_NE(read_text_file(root.path() / "etc/passwd").find("edgesync:x:"), std::string::npos);
    const auto dirs = run({"systemd-tmpfiles", "--root=" + root.path().string(), "--create",
                           (k_packaging / "edgesync-agent.tmpfiles.conf").string()});
    ASSERT_EQ(dirs.exit_code, 0) << test::describe(dirs);
    EXPECT_TRUE(fs::is_directory(root.path() / "srv/edgesync"));
}

}  // namespace
}  // namespace edgesync::agent
