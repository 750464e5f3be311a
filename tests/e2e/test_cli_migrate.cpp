// `edgesync migrate ...` as a user or a CI script runs it: the built binary,
// its stdout, stderr and exit code, against a private database.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <regex>
#include <sstream>

#include "shared/migrate/migration_files.hpp"
#include "shared/version.hpp"
#include "tests/support/run_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

class CliMigrate : public ::testing::Test {
  protected:
    void SetUp() override { write_scratch_set(m_migrations); }

    // Runs edgesync in a scratch working directory (so no stray .env is read)
    // with DATABASE_URL pointing at this test's database.
    ProcessResult run(std::vector<std::string> args, ProcessOptions options = {}) const {
        options.args.insert(options.args.begin(), EDGESYNC_CLI_BINARY);
        options.args.insert(options.args.end(), args.begin(), args.end());
        options.env.try_emplace("DATABASE_URL", m_db.url());
        options.unset_env.push_back("MIGRATIONS_PATH");
        if (!options.cwd) options.cwd = m_cwd.path();
        options.timeout = std::chrono::seconds(60);
        return run_process(options);
    }
    ProcessResult run_ok(std::vector<std::string> args, ProcessOptions options = {}) const {
        auto r = run(std::move(args), std::move(options));
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return r;
    }
    // `migrate ARGS --path <the scratch set>`: tests of the CLI's behaviour run
    // on a fixed set of their own (below), so they say exactly what to expect
    // however migrations/ grows.
    std::vector<std::string> migrate(std::vector<std::string> args) const {
        args.insert(args.begin(), "migrate");
        args.insert(args.end(), {"--path", m_migrations.path().string()});
        return args;
    }
    // The same over the project's own migrations/.
    std::vector<std::string> migrate_project(std::vector<std::string> args) const {
        args.insert(args.begin(), "migrate");
        args.insert(args.end(), {"--path", migrations_dir().string()});
        return args;
    }
    std::string version_rows() const {
        pqxx::connection c(m_db.url());
        pqxx::nontransaction tx(c);
        if (tx.exec1("SELECT to_regclass('schema_migrations') IS NULL")[0].as<bool>()) return "";
        std::string out;
        for (const auto& row : tx.exec("SELECT version, dirty FROM schema_migrations"))
            out += row[0].as<std::string>() + (row[1].as<bool>() ? ":t" : ":f") + ";";
        return out;
    }

    // Three migrations with titles of different lengths (for the table test).
    static void write_scratch_set(const TempDir& dir) {
        dir.write("000001_widgets.up.sql", "CREATE TABLE widgets (id int);");
        dir.write("000001_widgets.down.sql", "DROP TABLE widgets;");
        dir.write("000002_widget_colours.up.sql", "ALTER TABLE widgets ADD COLUMN colour text;");
        dir.write("000002_widget_colours.down.sql", "ALTER TABLE widgets DROP COLUMN colour;");
        dir.write("000003_gadgets.up.sql", "CREATE TABLE gadgets (id int);");
        dir.write("000003_gadgets.down.sql", "DROP TABLE gadgets;");
    }

    TestDatabase m_db = TestDatabase::empty();
    TempDir m_cwd;
    TempDir m_migrations;
};

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

TEST_F(CliMigrate, UpPrintsEachAppliedMigrationWithItsDuration) {
    // The project's own migrations: one line per file, in order, then the version.
    const auto files = migrate::load_migrations(migrations_dir());
    ASSERT_FALSE(files.empty());
    const auto last = std::to_string(files.back().version);
    const auto r = run_ok(migrate_project({"up"}));
    std::istringstream lines(r.out);
    std::string line;
    for (const auto& file : files) {
        ASSERT_TRUE(std::getline(lines, line)) << r.out;
        EXPECT_TRUE(std::regex_match(line, std::regex("applied " + file.name + R"( \(\d+ ms\))")))
            << line;
    }
    ASSERT_TRUE(std::getline(lines, line)) << r.out;
    EXPECT_EQ(line, "database version: " + last);
    EXPECT_FALSE(std::getline(lines, line)) << r.out;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(version_rows(), last + ":f;");
    const auto again = run_ok(migrate_project({"up"}));
    EXPECT_EQ(again.out, "no change, database version: " + last + "\n");
}

TEST_F(CliMigrate, JsonOutputHasAStableShapePerCommand) {
    const auto up = json::parse(
        run_ok({"--json", "migrate", "up", "1", "--path", m_migrations.path().string()}).out);
    EXPECT_EQ(up["version"], 1);
    EXPECT_EQ(up["dirty"], false);
    ASSERT_EQ(up["applied"].size(), 1U);
    EXPECT_EQ(up["applied"][0]["version"], 1);
    EXPECT_EQ(up["applied"][0]["name"], "000001_widgets");
    EXPECT_EQ(up["applied"][0]["direction"], "up");
    EXPECT_TRUE(up["applied"][0]["duration_ms"].is_number_integer());

    const auto status = json::parse(run_ok(migrate({"status", "--json"})).out);
    EXPECT_EQ(status["version"], 1);
    EXPECT_EQ(status["dirty"], false);
    EXPECT_EQ(status["path"], m_migrations.path().string());
    ASSERT_EQ(status["migrations"].size(), 3U);
    EXPECT_EQ(status["migrations"][0]["state"], "applied");
    EXPECT_EQ(status["migrations"][1]["state"], "pending");
    EXPECT_EQ(status["migrations"][1]["name"], "000002_widget_colours");
    EXPECT_EQ(status["migrations"][1]["version"], 2);
    EXPECT_EQ(status["migrations"][1]["has_down"], true);

    EXPECT_EQ(json::parse(run_ok(migrate({"version", "--json"})).out),
              json::parse(R"({"version": 1, "dirty": false})"));
    EXPECT_EQ(json::parse(run_ok(migrate({"force", "-1", "--json"})).out),
              json::parse(R"({"version": null, "dirty": false})"));
}

TEST_F(CliMigrate, StatusIsAnAlignedTable) {
    (void)run_ok(migrate({"up", "1"}));
    const auto r = run_ok(migrate({"status"}));
    EXPECT_EQ(r.out,
              "VERSION  NAME                   STATE    DOWN\n"
              "1        000001_widgets         applied  yes\n"
              "2        000002_widget_colours  pending  yes\n"
              "3        000003_gadgets         pending  yes\n"
              "database version: 1\n");
}

TEST_F(CliMigrate, VersionForceAndGotoWork) {
    EXPECT_EQ(run_ok(migrate({"version"})).out, "none\n");
    (void)run_ok(migrate({"goto", "2"}));
    EXPECT_EQ(run_ok(migrate({"version"})).out, "2\n");
    const auto back = run_ok(migrate({"goto", "1", "--yes"}));
    EXPECT_TRUE(contains(back.out, "reverted 000002_widget_colours (")) << back.out;
    EXPECT_EQ(run_ok(migrate({"force", "2"})).out, "database version forced to 2\n");
    EXPECT_EQ(version_rows(), "2:f;");
}

TEST_F(CliMigrate, UsageErrorsExitTwoWithOneLine) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"migrate"},
             {},
             {"migrate", "up", "x"},
             {"migrate", "up", "1", "2"},
             {"migrate", "up", "0"},
             {"migrate", "down"},
             {"migrate", "down", "1", "--all"},
             {"migrate", "goto"},
             {"migrate", "up", "--bogus"},
             {"--timeout", "0", "migrate", "version"},
         }) {
        const auto r = run(args);
        EXPECT_EQ(r.exit_code, 2) << describe(r);
        EXPECT_TRUE(r.err.starts_with("edgesync: error: ")) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
}

TEST_F(CliMigrate, AMistypedCommandGetsASuggestion) {
    const auto r = run({"migrate", "upp"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "edgesync: error: unknown command 'upp', did you mean 'up'?\n");
    const auto group = run({"migrat", "status"});
    EXPECT_EQ(group.exit_code, 2);
    EXPECT_EQ(group.err, "edgesync: error: unknown command 'migrat', did you mean 'migrate'?\n");
    const auto far = run({"migrate", "frobnicate"});
    EXPECT_EQ(far.exit_code, 2);
    EXPECT_TRUE(contains(far.err, "unknown command 'frobnicate'")) << far.err;
}

TEST_F(CliMigrate, AnUnreachableDatabaseExitsFiveWithoutThePassword) {
    const auto r = run({"--timeout", "2", "--database-url",
                        "postgresql://admin:pw-s3cret@127.0.0.1:1/edgesync", "migrate", "up"});
    EXPECT_EQ(r.exit_code, 5) << describe(r);
    EXPECT_TRUE(r.err.starts_with("edgesync: error: cannot connect to postgresql://admin:***@"))
        << r.err;
    EXPECT_FALSE(contains(r.out + r.err, "pw-s3cret"));
}

TEST_F(CliMigrate, ASilentServerTimesOutWithinTheConnectTimeout) {
    // A socket that accepts TCP connections (the kernel does) but never speaks.
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listener, 8), 0);
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    const auto url = "postgresql://u@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/x";
    ProcessOptions options;
    options.timeout = std::chrono::seconds(30);  // far above --timeout: a hang is a failure
    const auto r = run({"--timeout", "2", "--database-url", url, "migrate", "version"}, options);
    ::close(listener);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 5) << describe(r);
}

TEST_F(CliMigrate, AFailingMigrationExitsFourAndLaterRunsRefuseUntilForce) {
    TempDir dir;
    dir.write("000001_ok.up.sql", "CREATE TABLE ok_table (id int);");
    dir.write("000001_ok.down.sql", "DROP TABLE ok_table;");
    dir.write("000002_bad.up.sql", "SELECT 1;\nSELECT * FROM nope;\n");
    dir.write("000002_bad.down.sql", "");
    const auto path = dir.path().string();
    const auto failed = run({"migrate", "up", "--path", path});
    EXPECT_EQ(failed.exit_code, 4) << describe(failed);
    EXPECT_TRUE(contains(failed.out, "applied 000001_ok (")) << failed.out;
    EXPECT_TRUE(contains(failed.err, "000002_bad.up.sql")) << failed.err;
    EXPECT_TRUE(contains(failed.err, "relation \"nope\" does not exist")) << failed.err;
    EXPECT_EQ(version_rows(), "2:t;");

    const auto refused = run({"migrate", "up", "--path", path});
    EXPECT_EQ(refused.exit_code, 4) << describe(refused);
    EXPECT_TRUE(contains(refused.err, "dirty")) << refused.err;
    const auto json_refused = run({"--json", "migrate", "up", "--path", path});
    EXPECT_EQ(json::parse(json_refused.out)["error"]["exit_code"], 4) << describe(json_refused);

    EXPECT_EQ(run_ok({"migrate", "status", "--path", path}).out,
              "VERSION  NAME        STATE    DOWN\n"
              "1        000001_ok   applied  yes\n"
              "2        000002_bad  dirty    yes\n"
              "database version: 2 (dirty)\n");
    (void)run_ok({"migrate", "force", "1", "--path", path});
    dir.write("000002_bad.up.sql", "SELECT 1;\n");
    (void)run_ok({"migrate", "up", "--path", path});
    EXPECT_EQ(version_rows(), "2:f;");
}

TEST_F(CliMigrate, DownWithoutATerminalOrYesRefusesAndChangesNothing) {
    (void)run_ok(migrate({"up"}));
    const auto refused = run(migrate({"down", "--all"}));  // stdin is a pipe
    EXPECT_EQ(refused.exit_code, 2) << describe(refused);
    EXPECT_TRUE(contains(refused.err, "--yes")) << refused.err;
    EXPECT_EQ(version_rows(), "3:f;");
    const auto done = run_ok(migrate({"down", "--all", "--yes"}));
    EXPECT_TRUE(
        std::regex_match(done.out, std::regex(R"(reverted 000003_gadgets \(\d+ ms\)\n)"
                                              R"(reverted 000002_widget_colours \(\d+ ms\)\n)"
                                              R"(reverted 000001_widgets \(\d+ ms\)\n)"
                                              R"(database version: none\n)")))
        << done.out;
    EXPECT_EQ(version_rows(), "");
}

TEST_F(CliMigrate, DownOnATerminalAsksAndOnlyYesReverts) {
    (void)run_ok(migrate({"up"}));
    ProcessOptions tty;
    tty.stdin_is_tty = true;
    tty.stdin_data = "n\n";
    const auto declined = run(migrate({"down", "1"}), tty);
    EXPECT_EQ(declined.exit_code, 1) << describe(declined);
    EXPECT_TRUE(contains(declined.err, "revert 1 migration (000003_gadgets)")) << declined.err;
    EXPECT_EQ(version_rows(), "3:f;");
    tty.stdin_data = "y\n";
    const auto accepted = run(migrate({"down", "1"}), tty);
    EXPECT_EQ(accepted.exit_code, 0) << describe(accepted);
    EXPECT_EQ(version_rows(), "2:f;");
}

TEST_F(CliMigrate, PasswordsNeverAppearInOutputEvenVerbose) {
    // Trust authentication ignores the password, so the URL works as is.
    std::string url = m_db.url();
    const auto at = url.find('@');
    ASSERT_NE(at, std::string::npos) << "test DATABASE_URL has no user: " << url;
    url.insert(at, ":Sup3rSecret");
    std::string all;
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"-v", "--database-url", url, "migrate", "up", "--path", m_migrations.path().string()},
             {"-v", "--database-url", url, "migrate", "status", "--path",
              m_migrations.path().string()},
             {"-v", "--database-url", url, "migrate", "down", "--all", "--path",
              m_migrations.path().string()},
             {"-v", "--json", "--database-url", url + "?password=Sup3rSecret", "migrate", "goto",
              "9", "--path", m_migrations.path().string()},
         }) {
        const auto r = run(args);
        all += r.out + r.err;
    }
    EXPECT_TRUE(contains(all, ":***@")) << all;  // the verbose line names the database
    EXPECT_FALSE(contains(all, "Sup3rSecret")) << all;
}

TEST_F(CliMigrate, CreateWritesTheNextPairIntoPath) {
    TempDir dir;
    dir.write("000007_old.up.sql", "");
    const auto r = run_ok({"migrate", "create", "add_widgets", "--path", dir.path().string()});
    const auto up = dir.path() / "000008_add_widgets.up.sql";
    EXPECT_TRUE(std::filesystem::exists(up));
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "000008_add_widgets.down.sql"));
    EXPECT_TRUE(contains(r.out, "created " + up.string())) << r.out;
    const auto j = json::parse(
        run_ok({"--json", "migrate", "create", "more", "--path", dir.path().string()}).out);
    EXPECT_EQ(j["version"], 9);
    EXPECT_EQ(run({"migrate", "create", "bad name", "--path", dir.path().string()}).exit_code, 2);
}

TEST_F(CliMigrate, SettingsComeFromFlagsThenEnvironmentThenDotEnv) {
    // .env in the working directory supplies MIGRATIONS_PATH; the environment
    // (set by run()) supplies DATABASE_URL, and a flag beats both.
    m_cwd.write(".env", "MIGRATIONS_PATH=" + m_migrations.path().string() +
                            "\nDATABASE_URL=postgresql://nobody@127.0.0.1:1/nothing\n");
    EXPECT_TRUE(contains(run_ok({"migrate", "up"}).out, "applied 000003_gadgets ("));
    EXPECT_EQ(version_rows(), "3:f;");
    ProcessOptions bad_env;
    bad_env.env["DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/nothing";
    EXPECT_EQ(run({"--timeout", "2", "migrate", "version"}, bad_env).exit_code, 5);
    EXPECT_EQ(run_ok({"--database-url", m_db.url(), "migrate", "version"}, bad_env).out, "3\n");
}

TEST_F(CliMigrate, TwoConcurrentUpsBothSucceedAndApplyOnce) {
    ProcessOptions options;
    options.args = {EDGESYNC_CLI_BINARY,         "--json", "migrate", "up", "--path",
                    m_migrations.path().string()};
    options.env["DATABASE_URL"] = m_db.url();
    options.cwd = m_cwd.path();
    Process a(options), b(options);
    const auto ra = a.wait();
    const auto rb = b.wait();
    ASSERT_EQ(ra.exit_code, 0) << describe(ra);
    ASSERT_EQ(rb.exit_code, 0) << describe(rb);
    std::vector<std::string> applied;
    for (const auto* r : {&ra, &rb}) {
        const auto doc = json::parse(r->out);
        for (const auto& m : doc["applied"]) applied.push_back(m["name"]);
    }
    std::sort(applied.begin(), applied.end());
    EXPECT_EQ(applied, (std::vector<std::string>{"000001_widgets", "000002_widget_colours",
                                                 "000003_gadgets"}));
    EXPECT_EQ(version_rows(), "3:f;");
}

TEST_F(CliMigrate, VersionAndHelpExitZero) {
    EXPECT_EQ(run_ok({"--version"}).out, std::string("edgesync ") + k_version + "\n");
    EXPECT_TRUE(contains(run_ok({"migrate", "--help"}).out, "status"));
    EXPECT_TRUE(contains(run_ok({"--help"}).out, "Exit codes"));
}

}  // namespace
}  // namespace edgesync::test
