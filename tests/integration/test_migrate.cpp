// The runner against a real Postgres: the operations and what they leave in
// schema_migrations, with the project's own migrations and scratch ones.
#include <algorithm>

#include "tests/integration/migrate_fixture.hpp"

namespace edgesync::test {
namespace {

using migrate::Direction;
using migrate::SchemaVersion;

using MigrateOps = MigrateTest;

TEST_F(MigrateOps, UpAppliesEveryFileInOrderAndRecordsTheLastVersion) {
    const auto files = project_files();
    std::vector<std::string> reported;
    auto m = migrator(migrations_dir(), {.on_applied = [&](const migrate::AppliedMigration& a) {
                          reported.push_back(a.name);
                      }});
    const auto result = m->up();
    ASSERT_EQ(result.applied.size(), files.size());
    EXPECT_EQ(names_of(result.applied), names_of(files));
    for (std::size_t i = 0; i < files.size(); ++i) {
        EXPECT_EQ(result.applied[i].version, files[i].version);
        EXPECT_EQ(result.applied[i].direction, Direction::up);
    }
    EXPECT_EQ(reported, names_of(files));
    EXPECT_EQ(result.before, SchemaVersion{});
    EXPECT_EQ(result.after, (SchemaVersion{files.back().version, false}));
    EXPECT_EQ(version_rows(), clean_at(files.back().version));
    EXPECT_TRUE(relation_exists("accounts"));
    EXPECT_EQ(query("SELECT count(*) FROM pg_proc WHERE proname = 'es_write_state'"), "1");
    EXPECT_TRUE(m->up().applied.empty());  // nothing left: no change
}

TEST_F(MigrateOps, SchemaMigrationsHasGolangMigratesExactShape) {
    (void)project_migrator()->up(1);
    EXPECT_EQ(query("SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable, ', ' "
                    "ORDER BY ordinal_position) FROM information_schema.columns "
                    "WHERE table_name = 'schema_migrations'"),
              "version bigint NO, dirty boolean NO");
    EXPECT_EQ(query("SELECT count(*) FROM pg_index WHERE indrelid = 'schema_migrations'::regclass "
                    "AND indisprimary"),
              "1");
}

TEST_F(MigrateOps, DownAllThenUpAgainGivesTheSameSchema) {
    const auto files = project_files();
    auto m = project_migrator();
    (void)m->up();
    const auto migrated = schema_dump();
    const auto down = m->down(std::nullopt);
    auto newest_first = names_of(files);
    std::reverse(newest_first.begin(), newest_first.end());
    ASSERT_EQ(down.applied.size(), files.size());
    EXPECT_EQ(names_of(down.applied), newest_first);
    for (const auto& a : down.applied) EXPECT_EQ(a.direction, Direction::down) << a.name;
    EXPECT_EQ(down.after, SchemaVersion{});
    EXPECT_TRUE(version_rows().empty());  // golang-migrate keeps no row for "none"
    EXPECT_FALSE(relation_exists("accounts"));
    (void)m->up();
    EXPECT_EQ(schema_dump(), migrated);
}

TEST_F(MigrateOps, UpNAndDownNMoveByThatManyFiles) {
    m_dir.write("1_a.up.sql", "CREATE TABLE a (id int);");
    m_dir.write("1_a.down.sql", "DROP TABLE a;");
    m_dir.write("2_b.up.sql", "CREATE TABLE b (id int);");
    m_dir.write("2_b.down.sql", "DROP TABLE b;");
    m_dir.write("5_c.up.sql", "CREATE TABLE c (id int);");
    m_dir.write("5_c.down.sql", "DROP TABLE c;");
    auto m = migrator(m_dir.path());
    EXPECT_EQ(m->up(1).after, (SchemaVersion{1, false}));
    EXPECT_TRUE(relation_exists("a"));
    EXPECT_FALSE(relation_exists("b"));
    const auto rest = m->up(5);  // only what there is
    EXPECT_EQ(names_of(rest.applied), (std::vector<std::string>{"2_b", "5_c"}));
    EXPECT_EQ(rest.after, (SchemaVersion{5, false}));
    const auto one = m->down(1);
    ASSERT_EQ(one.applied.size(), 1U);
    EXPECT_EQ(one.applied[0].version, 5);
    EXPECT_EQ(m->version(), (SchemaVersion{2, false}));
    EXPECT_TRUE(relation_exists("b"));
    EXPECT_FALSE(relation_exists("c"));
    const auto two = m->down(2);
    EXPECT_EQ(names_of(two.applied), (std::vector<std::string>{"2_b", "1_a"}));
    EXPECT_EQ(m->version(), SchemaVersion{});
    EXPECT_FALSE(relation_exists("a"));
}

TEST_F(MigrateOps, GotoMovesUpOrDownToTheTarget) {
    m_dir.write("1_a.up.sql", "CREATE TABLE a (id int);");
    m_dir.write("1_a.down.sql", "DROP TABLE a;");
    m_dir.write("2_b.up.sql", "CREATE TABLE b (id int);");
    m_dir.write("2_b.down.sql", "DROP TABLE b;");
    m_dir.write("3_c.up.sql", "CREATE TABLE c (id int);");
    m_dir.write("3_c.down.sql", "DROP TABLE c;");
    auto m = migrator(m_dir.path());
    EXPECT_EQ(m->goto_version(2).applied.size(), 2U);
    EXPECT_TRUE(relation_exists("b"));
    EXPECT_FALSE(relation_exists("c"));
    EXPECT_EQ(m->goto_version(3).after, (SchemaVersion{3, false}));
    const auto back = m->goto_version(1);
    ASSERT_EQ(back.applied.size(), 2U);
    EXPECT_EQ(back.applied[0].name, "3_c");
    EXPECT_EQ(back.applied[1].name, "2_b");
    EXPECT_FALSE(relation_exists("b"));
    EXPECT_EQ(version_rows(), (std::vector<std::string>{"1:f"}));
    try {
        (void)m->goto_version(7);
        ADD_FAILURE() << "goto to a missing version succeeded";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ExitCode::not_found);
    }
}

TEST_F(MigrateOps, VersionOfAFreshDatabaseIsNoneAndCreatesNothing) {
    auto m = project_migrator();
    EXPECT_EQ(m->version(), SchemaVersion{});
    EXPECT_FALSE(relation_exists("schema_migrations"));
}

TEST_F(MigrateOps, ForceRecordsAVersionWithoutRunningAnything) {
    auto m = project_migrator();
    EXPECT_EQ(m->force(1), (SchemaVersion{1, false}));
    EXPECT_EQ(version_rows(), (std::vector<std::string>{"1:f"}));
    EXPECT_FALSE(relation_exists("accounts"));  // nothing ran
    EXPECT_EQ(m->force(std::nullopt), SchemaVersion{});
    EXPECT_TRUE(version_rows().empty());
}

TEST_F(MigrateOps, StatusListsAppliedAndPendingFiles) {
    m_dir.write("1_a.up.sql", "CREATE TABLE a (id int);");
    m_dir.write("1_a.down.sql", "DROP TABLE a;");
    m_dir.write("2_b.up.sql", "CREATE TABLE b (id int);");
    m_dir.write("2_b.down.sql", "DROP TABLE b;");
    m_dir.write("3_c.up.sql", "CREATE TABLE c (id int);");  // no down file
    auto m = migrator(m_dir.path());
    (void)m->up(1);
    const auto status = m->status();
    EXPECT_EQ(status.version, (SchemaVersion{1, false}));
    ASSERT_EQ(status.migrations.size(), 3U);
    EXPECT_EQ(status.migrations[0].migration.name, "1_a");
    EXPECT_TRUE(status.migrations[0].applied);
    EXPECT_EQ(status.migrations[1].migration.name, "2_b");
    EXPECT_FALSE(status.migrations[1].applied);
    EXPECT_TRUE(status.migrations[1].migration.down.has_value());
    EXPECT_EQ(status.migrations[2].migration.name, "3_c");
    EXPECT_FALSE(status.migrations[2].applied);
    EXPECT_FALSE(status.migrations[2].migration.down.has_value());
    EXPECT_TRUE(status.version_has_file);
}

TEST_F(MigrateOps, CreatedEmptyAndCommentOnlyFilesApply) {
    const auto created = migrate::create_migration(m_dir.path(), "placeholder");
    m_dir.write("000002_comment.up.sql", "-- nothing to do yet\n");
    m_dir.write("000002_comment.down.sql", "");
    auto m = migrator(m_dir.path());
    EXPECT_EQ(created.version, 1);
    EXPECT_EQ(m->up().applied.size(), 2U);
    EXPECT_EQ(m->down(std::nullopt).applied.size(), 2U);
}

TEST_F(MigrateOps, ServerNoticesGoToTheCallbackNotStderr) {
    m_dir.write("1_quiet.up.sql", "DROP TABLE IF EXISTS not_here;");
    std::vector<std::string> notices;
    auto m =
        migrator(m_dir.path(), {.on_notice = [&](std::string_view n) { notices.emplace_back(n); }});
    (void)m->up();
    ASSERT_FALSE(notices.empty());
    EXPECT_NE(notices.front().find("does not exist, skipping"), std::string::npos)
        << notices.front();
}

TEST_F(MigrateOps, AMigrationThatClearsSearchPathStillRecordsItsVersion) {
    // What a pg_dump-generated migration does on its first lines.
    m_dir.write("1_a.up.sql",
                "SELECT pg_catalog.set_config('search_path', '', false);\n"
                "CREATE TABLE public.a (id int);");
    m_dir.write("2_b.up.sql", "CREATE TABLE public.b (id int);");
    auto m = migrator(m_dir.path());
    EXPECT_EQ(m->up().applied.size(), 2U);
    EXPECT_EQ(m->version(), (SchemaVersion{2, false}));
    EXPECT_EQ(version_rows(), (std::vector<std::string>{"2:f"}));
}

TEST_F(MigrateOps, BadFileNamesAreRejectedBeforeAnythingRuns) {
    m_dir.write("1_a.up.sql", "CREATE TABLE a (id int);");
    m_dir.write("two_b.up.sql", "CREATE TABLE b (id int);");
    auto m = migrator(m_dir.path());
    try {
        (void)m->up();
        ADD_FAILURE() << "a bad file name was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("two_b.up.sql"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(relation_exists("a"));
}

TEST_F(MigrateOps, DownRefusesBeforeRunningWhenAFileHasNoDown) {
    m_dir.write("1_a.up.sql", "CREATE TABLE a (id int);");
    m_dir.write("2_b.up.sql", "CREATE TABLE b (id int);");
    m_dir.write("2_b.down.sql", "DROP TABLE b;");
    auto m = migrator(m_dir.path());
    (void)m->up();
    try {
        (void)m->down(std::nullopt);
        ADD_FAILURE() << "reverting a file without .down.sql succeeded";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("1_a"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(relation_exists("b"));  // nothing was reverted
    EXPECT_EQ(m->version(), (SchemaVersion{2, false}));
}

TEST_F(MigrateOps, AnUnreachableDatabaseIsAConnectionErrorWithoutThePassword) {
    migrate::Migrator::Options options;
    options.database_url = "postgresql://someone:pw-s3cret@127.0.0.1:1/nothing";
    options.connect_timeout = std::chrono::seconds(2);
    try {
        migrate::Migrator m(options);
        ADD_FAILURE() << "connected to port 1";
    } catch (const ConnectionError& e) {
        EXPECT_EQ(e.code(), ExitCode::cannot_connect);
        EXPECT_EQ(std::string(e.what()).find("pw-s3cret"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("127.0.0.1"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace edgesync::test
