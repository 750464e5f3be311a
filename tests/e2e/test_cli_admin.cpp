// Rules every `account`, `device` and `session` command shares: confirmation,
// connectivity and exit codes, secrets, help.
#include <gtest/gtest.h>

#include "tests/e2e/cli_admin_fixture.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

class CliAdminRules : public CliAdmin {};

TEST_F(CliAdminRules, DestructiveCommandsRefuseWithoutATerminalOrYesAndChangeNothing) {
    const auto a = make_account();
    const auto d = make_device(a.id, "laptop");
    const auto s = make_session(a.id, d.id);
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"account", "disable", a.email},
             {"account", "delete", a.email},
             {"device", "revoke", "laptop", "--account", a.email},
             {"device", "revoke", "--all-for-account", a.email},
             {"session", "revoke", s.id, "--account", a.email},
             {"session", "purge", "--account", a.email},
             {"session", "purge", "--account", a.email, "--device", "laptop"},
         }) {
        const auto r = run_fails(args, 2);  // stdin is a pipe
        EXPECT_FALSE(r.timed_out);
        EXPECT_TRUE(contains(r.err, "without confirmation")) << r.err;
        EXPECT_TRUE(contains(r.err, "(pass --yes)")) << r.err;
        EXPECT_EQ(r.out, "");
    }
    EXPECT_TRUE(account_now(a).active());
    EXPECT_FALSE(devices_now(a).at(0).revoked());
    EXPECT_TRUE(session_exists(s));
    EXPECT_TRUE(m_revocations.drain(a.id).empty());
}

TEST_F(CliAdminRules, AnUnreachableDatabaseExitsFiveWithoutThePassword) {
    const auto r =
        run_fails({"--timeout", "2", "--database-url",
                   "postgresql://admin:pg-s3cret@127.0.0.1:1/edgesync", "account", "list"},
                  5);
    EXPECT_TRUE(contains(r.err, "cannot connect")) << r.err;
    EXPECT_FALSE(contains(r.out + r.err, "pg-s3cret"));
    const auto j = run({"--json", "--timeout", "2", "--database-url",
                        "postgresql://admin:pg-s3cret@127.0.0.1:1/edgesync", "device", "list",
                        "--account", "x@example.org"});
    EXPECT_EQ(json::parse(j.out)["error"]["exit_code"], 5) << describe(j);
}

TEST_F(CliAdminRules, ASilentDatabaseFailsWithinTheTimeout) {
    SilentServer silent;
    const auto r = run_fails({"--timeout", "2", "--database-url",
                              "postgresql://u@127.0.0.1:" + std::to_string(silent.port()) + "/x",
                              "session", "list", "--account", "x@example.org"},
                             5);
    EXPECT_FALSE(r.timed_out);
}

TEST_F(CliAdminRules, AnUnreachableRedisExitsFiveBeforeChangingPostgres) {
    const auto a = make_account();
    const auto s = make_session(a.id, make_device(a.id).id);
    const std::string url = "redis://:r3dis-s3cret@127.0.0.1:1/0";
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"session", "list", "--account", a.email},
             {"account", "disable", a.email, "--yes"},
             {"account", "delete", a.email, "--yes"},
             {"device", "revoke", "--all-for-account", a.email, "--yes"},
         }) {
        auto all = std::vector<std::string>{"-v", "--timeout", "2", "--redis-url", url};
        all.insert(all.end(), args.begin(), args.end());
        const auto r = run_fails(all, 5);
        EXPECT_FALSE(contains(r.out + r.err, "r3dis-s3cret")) << r.err;
        EXPECT_TRUE(contains(r.err, "redis://:***@127.0.0.1:1/0")) << r.err;  // the -v note
    }
    EXPECT_TRUE(account_now(a).active());
    EXPECT_FALSE(devices_now(a).at(0).revoked());
    EXPECT_TRUE(session_exists(s));
}

TEST_F(CliAdminRules, ASilentRedisFailsWithinTheTimeout) {
    const auto a = make_account();
    SilentServer silent;
    const auto r = run_fails(
        {"--timeout", "2", "--redis-url", "redis://127.0.0.1:" + std::to_string(silent.port()),
         "session", "list", "--account", a.id},
        5);
    EXPECT_FALSE(r.timed_out);
}

TEST_F(CliAdminRules, MissingRedisUrlIsAConfigurationError) {
    ProcessOptions options;
    options.unset_env.push_back("REDIS_URL");
    options.env["REDIS_URL"] = "";  // empty counts as unset
    const auto r = run_fails({"account", "list"}, 2, options);
    EXPECT_TRUE(contains(r.err, "REDIS_URL")) << r.err;
}

TEST_F(CliAdminRules, VerboseOutputMasksTheDatabasePassword) {
    std::string url = m_db.url();
    const auto at = url.find('@');
    ASSERT_NE(at, std::string::npos) << url;
    url.insert(at, ":Sup3rSecret");  // trust authentication ignores it
    const auto r = run_ok({"-v", "--database-url", url, "account", "list"});
    EXPECT_TRUE(contains(r.err, ":***@")) << r.err;
    EXPECT_FALSE(contains(r.out + r.err, "Sup3rSecret"));
}

TEST_F(CliAdminRules, MistypedCommandsGetASuggestion) {
    EXPECT_EQ(run_fails({"device", "revok"}, 2).err,
              "edgesync: error: unknown command 'revok', did you mean 'revoke'?\n");
    EXPECT_EQ(run_fails({"sesion", "list"}, 2).err,
              "edgesync: error: unknown command 'sesion', did you mean 'session'?\n");
}

TEST_F(CliAdminRules, EveryCommandHasHelp) {
    const std::vector<std::pair<std::string, std::vector<std::string>>> groups{
        {"account", {"create", "list", "show", "disable", "enable", "delete", "passwd"}},
        {"device", {"list", "show", "rename", "revoke"}},
        {"session", {"list", "show", "revoke", "purge", "gc"}},
    };
    const auto top = run_ok({"--help"}).out;
    for (const auto& [group, commands] : groups) {
        EXPECT_TRUE(contains(top, group)) << top;
        const auto group_help = run_ok({group, "--help"}).out;
        for (const auto& command : commands) {
            EXPECT_TRUE(contains(group_help, command)) << group_help;
            EXPECT_TRUE(contains(run_ok({group, command, "--help"}).out, "Usage"))
                << group << " " << command;
        }
    }
    EXPECT_TRUE(contains(run_ok({"device", "revoke", "--help"}).out, "--all-for-account"));
    EXPECT_TRUE(contains(run_ok({"account", "create", "--help"}).out, "--password-stdin"));
}

}  // namespace
}  // namespace edgesync::test
