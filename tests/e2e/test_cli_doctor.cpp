// `edgesync doctor`: one line per check with a fixed set of names, exit 0
// only when nothing failed, 5 when a server cannot be reached, no secrets.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "shared/migrate/migration_files.hpp"
#include "shared/migrate/migrator.hpp"
#include "tests/e2e/cli_data_fixture.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

const std::vector<std::string> k_checks = {"postgres",
                                           "schema",
                                           "migrations",
                                           "clock.postgres",
                                           "redis",
                                           "clock.redis",
                                           "config.database_url",
                                           "config.redis_url",
                                           "config.jwt_secret",
                                           "config.migrations_path"};

class CliDoctor : public CliAdminTest {
  protected:
    // doctor --json with the project's migrations; the checks by name.
    std::map<std::string, json> checks(ProcessOptions o, int expected_exit,
                                       std::vector<std::string> args = {}) const {
        o.env.try_emplace("MIGRATIONS_PATH", migrations_dir().string());
        args.insert(args.begin(), {"--json", "doctor"});
        const auto r = run(args, o);
        EXPECT_EQ(r.exit_code, expected_exit) << describe(r);
        const auto doc = json::parse(r.out);
        std::vector<std::string> names;
        std::map<std::string, json> by_name;
        for (const auto& c : doc) {
            names.push_back(c["check"]);
            by_name[c["check"]] = c;
            EXPECT_EQ(c["ok"], c["level"] == "ok" || c["level"] == "warn") << c.dump();
            EXPECT_TRUE(c["detail"].is_string()) << c.dump();
        }
        EXPECT_EQ(names, k_checks);  // the same checks, in the same order, every time
        return by_name;
    }
    static std::int64_t newest_migration() {
        return migrate::load_migrations(migrations_dir()).back().version;
    }
};

TEST_F(CliDoctor, AHealthySetupPassesEveryCheck) {
    ProcessOptions o;
    o.env["JWT_SECRET"] = std::string(40, 'k');
    const auto c = checks(o, 0);
    for (const auto& [name, check] : c) EXPECT_EQ(check["level"], "ok") << check.dump();
    EXPECT_TRUE(contains(c.at("postgres")["detail"], "PostgreSQL 15")) << c.at("postgres");
    EXPECT_TRUE(contains(c.at("redis")["detail"], "Redis 7")) << c.at("redis");
    EXPECT_EQ(c.at("schema")["detail"], "version " + std::to_string(newest_migration()));
    EXPECT_TRUE(contains(c.at("migrations")["detail"], "none pending")) << c.at("migrations");
    EXPECT_TRUE(contains(c.at("clock.postgres")["detail"], "host clock")) << c.at("clock.postgres");
    EXPECT_EQ(c.at("config.jwt_secret")["detail"], "JWT_SECRET set, 40 bytes (from environment)");
    EXPECT_EQ(c.at("config.migrations_path")["detail"],
              "MIGRATIONS_PATH=" + migrations_dir().string() + " (from environment)");
}

TEST_F(CliDoctor, HumanOutputIsOneAlignedLinePerCheckAndASummary) {
    ProcessOptions o;
    o.env["MIGRATIONS_PATH"] = migrations_dir().string();
    const auto r = run_ok({"doctor"}, o);
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), k_checks.size() + 2) << r.out;
    EXPECT_TRUE(std::regex_match(lines[0], std::regex("CHECK +STATUS +DETAIL"))) << lines[0];
    for (std::size_t i = 0; i < k_checks.size(); ++i)
        EXPECT_TRUE(std::regex_match(lines[i + 1], std::regex(k_checks[i] + " +ok +\\S.*")))
            << lines[i + 1];
    expect_aligned({lines.begin(), lines.end() - 1});
    EXPECT_EQ(lines.back(), "all 10 checks passed");
}

TEST_F(CliDoctor, PendingMigrationsFail) {
    const auto db = TestDatabase::empty();
    migrate::Migrator({.database_url = db.url(), .dir = migrations_dir()}).up(1);
    ProcessOptions o;
    o.env["DATABASE_URL"] = db.url();
    const auto c = checks(o, 1);
    EXPECT_EQ(c.at("schema")["level"], "ok");
    EXPECT_EQ(c.at("migrations")["level"], "fail");
    const auto files = migrate::load_migrations(migrations_dir());
    for (std::size_t i = 1; i < files.size(); ++i)
        EXPECT_TRUE(contains(c.at("migrations")["detail"], files[i].name)) << c.at("migrations");
    EXPECT_FALSE(contains(c.at("migrations")["detail"], files[0].name)) << c.at("migrations");
}

TEST_F(CliDoctor, ADirtyOrUnmigratedSchemaFails) {
    {
        pqxx::connection conn(m_db.url());
        pqxx::nontransaction tx(conn);
        tx.exec("UPDATE schema_migrations SET dirty = true");
    }
    const auto dirty = checks({}, 1);
    EXPECT_EQ(dirty.at("schema")["level"], "fail");
    EXPECT_TRUE(contains(dirty.at("schema")["detail"], "dirty")) << dirty.at("schema");

    const auto blank = TestDatabase::empty();
    ProcessOptions o;
    o.env["DATABASE_URL"] = blank.url();
    const auto none = checks(o, 1);
    EXPECT_EQ(none.at("schema")["level"], "fail");
    EXPECT_TRUE(contains(none.at("schema")["detail"], "migrate up")) << none.at("schema");
}

TEST_F(CliDoctor, UnreachableServersExitFiveAndSkipWhatNeedsThem) {
    ProcessOptions o;
    o.env["DATABASE_URL"] = "postgresql://admin:pw-s3cret@127.0.0.1:1/edgesync";
    o.env["REDIS_URL"] = "redis://:redis-s3cret@127.0.0.1:1/0";
    o.timeout = std::chrono::seconds(30);
    const auto c = checks(o, 5, {"--timeout", "2"});
    EXPECT_EQ(c.at("postgres")["level"], "fail");
    EXPECT_EQ(c.at("redis")["level"], "fail");
    for (const char* name : {"schema", "migrations", "clock.postgres", "clock.redis"})
        EXPECT_EQ(c.at(name)["level"], "skip") << name;
    EXPECT_EQ(c.at("config.database_url")["detail"],
              "DATABASE_URL=postgresql://admin:***@127.0.0.1:1/edgesync (from environment)");
    const auto human = run({"--timeout", "2", "doctor"}, o);
    EXPECT_EQ(human.exit_code, 5);
    for (const auto& out : {human.out + human.err, json(c).dump()}) {
        EXPECT_FALSE(contains(out, "pw-s3cret")) << out;
        EXPECT_FALSE(contains(out, "redis-s3cret")) << out;
    }
}

TEST_F(CliDoctor, ConfigurationChecksSayWhereEachSettingCameFrom) {
    m_cwd.write(".env", "REDIS_URL=" + redis_url() + "\nJWT_SECRET=too-short-secret\n");
    ProcessOptions o;
    o.env["REDIS_URL"] = "";  // empty counts as unset: .env supplies it
    const auto c = checks(o, 1, {"--database-url", m_db.url()});
    EXPECT_EQ(c.at("config.database_url")["detail"], "DATABASE_URL=" + m_db.url() + " (from flag)");
    EXPECT_EQ(c.at("config.redis_url")["detail"], "REDIS_URL=" + redis_url() + " (from .env)");
    EXPECT_EQ(c.at("config.jwt_secret")["level"], "fail");
    EXPECT_EQ(c.at("config.jwt_secret")["detail"],
              "JWT_SECRET is 16 bytes (from .env); it needs at least 32");

    ProcessOptions unset;
    unset.env["DATABASE_URL"] = "";
    m_cwd.write(".env", "");
    const auto missing = checks(unset, 1);
    EXPECT_EQ(missing.at("config.database_url")["level"], "fail");
    EXPECT_EQ(missing.at("postgres")["level"], "skip");
    EXPECT_EQ(missing.at("redis")["level"], "ok");
}

TEST_F(CliDoctor, AMissingMigrationsFolderIsOnlyAWarning) {
    ProcessOptions o;
    o.env["MIGRATIONS_PATH"] = (m_cwd.path() / "nowhere").string();
    const auto c = checks(o, 0);
    EXPECT_EQ(c.at("migrations")["level"], "warn");
    EXPECT_EQ(c.at("migrations")["ok"], true);
}

TEST_F(CliDoctor, StatusWordsAreColouredUnlessNoColor) {
    ProcessOptions o;
    o.env["MIGRATIONS_PATH"] = migrations_dir().string();
    o.env["CLICOLOR_FORCE"] = "1";
    EXPECT_TRUE(contains(run_ok({"doctor"}, o).out, "\x1b[32mok\x1b[0m"));
    o.env["NO_COLOR"] = "1";
    EXPECT_FALSE(contains(run_ok({"doctor"}, o).out, "\x1b"));
}

}  // namespace
}  // namespace edgesync::test
