// A failing migration marks the database dirty and everything refuses until
// force; a database left by golang-migrate is picked up as is.
#include <future>

#include "shared/migrate/lock_key.hpp"
#include "tests/integration/migrate_fixture.hpp"

namespace edgesync::test {
namespace {

using migrate::SchemaVersion;

using MigrateFailure = MigrateTest;
using MigrateCompat = MigrateTest;

class MigrateFailureWithBadFile : public MigrateTest {
  protected:
    void SetUp() override {
        m_dir.write("000001_ok.up.sql", "CREATE TABLE ok_table (id int);");
        m_dir.write("000001_ok.down.sql", "DROP TABLE ok_table;");
        m_dir.write("000002_bad.up.sql",
                    "CREATE TABLE half_done (id int);\n-- the next statement fails\n"
                    "SELECT * FROM nope;\n");
        m_dir.write("000002_bad.down.sql", "DROP TABLE half_done;");
    }
};

TEST_F(MigrateFailureWithBadFile, FailureCarriesFileAndPostgresMessageAndMarksDirty) {
    auto m = migrator(m_dir.path());
    try {
        (void)m->up();
        ADD_FAILURE() << "the bad migration succeeded";
    } catch (const migrate::MigrationFailed& e) {
        EXPECT_EQ(e.code(), ExitCode::conflict);
        EXPECT_EQ(e.file(), "000002_bad.up.sql");
        EXPECT_NE(e.pg_message().find("relation \"nope\" does not exist"), std::string::npos)
            << e.pg_message();
        const std::string what = e.what();
        EXPECT_NE(what.find("000002_bad.up.sql"), std::string::npos) << what;
        EXPECT_NE(what.find("line 3"), std::string::npos) << what;
        EXPECT_NE(what.find("force 1"), std::string::npos) << what;
        EXPECT_EQ(e.dirty_version(), (SchemaVersion{2, true}));
    }
    EXPECT_EQ(version_rows(), (std::vector<std::string>{"2:t"}));
    EXPECT_TRUE(relation_exists("ok_table"));    // 000001 committed
    EXPECT_FALSE(relation_exists("half_done"));  // 000002 rolled back as a whole
}

TEST_F(MigrateFailureWithBadFile, LaterRunsRefuseUntilForceThenGoOn) {
    try {
        (void)migrator(m_dir.path())->up();
    } catch (const migrate::MigrationFailed&) {
    }
    auto m = migrator(m_dir.path());  // a later run
    EXPECT_THROW((void)m->up(), migrate::DirtyDatabase);
    EXPECT_THROW((void)m->down(1), migrate::DirtyDatabase);
    EXPECT_THROW((void)m->goto_version(1), migrate::DirtyDatabase);
    try {
        (void)m->up();
    } catch (const migrate::DirtyDatabase& e) {
        EXPECT_EQ(e.code(), ExitCode::conflict);
        EXPECT_NE(std::string(e.what()).find("force"), std::string::npos) << e.what();
    }
    EXPECT_EQ(m->status().version, (SchemaVersion{2, true}));

    EXPECT_EQ(m->force(1), (SchemaVersion{1, false}));
    m_dir.write("000002_bad.up.sql", "CREATE TABLE half_done (id int);\n");
    const auto fixed = m->up();
    ASSERT_EQ(fixed.applied.size(), 1U);
    EXPECT_EQ(fixed.applied[0].version, 2);
    EXPECT_EQ(version_rows(), (std::vector<std::string>{"2:f"}));
}

TEST_F(MigrateFailure, AFailingDownMarksThePreviousVersionDirtyLikeGolangMigrate) {
    m_dir.write("1_a.up.sql", "CREATE TABLE a (id int);");
    m_dir.write("1_a.down.sql", "DROP TABLE a;");
    m_dir.write("2_b.up.sql", "CREATE TABLE b (id int);");
    m_dir.write("2_b.down.sql", "DROP TABLE b;\nDROP TABLE not_there;");
    auto m = migrator(m_dir.path());
    (void)m->up();
    try {
        (void)m->down(1);
        ADD_FAILURE() << "the bad down succeeded";
    } catch (const migrate::MigrationFailed& e) {
        EXPECT_EQ(e.file(), "2_b.down.sql");
        EXPECT_NE(std::string(e.what()).find("force 2"), std::string::npos) << e.what();
    }
    EXPECT_EQ(version_rows(), (std::vector<std::string>{"1:t"}));
    EXPECT_TRUE(relation_exists("b"));  // rolled back
}

TEST_F(MigrateCompat, ADatabaseLeftByGolangMigrateIsPickedUpAsIs) {
    const auto files = project_files();
    {
        // What `migrate -path migrations -database ... up 1` leaves behind.
        pqxx::connection c(m_db.url());
        pqxx::work tx(c);
        tx.exec(
            "CREATE TABLE schema_migrations (version bigint not null primary key, "
            "dirty boolean not null)");
        tx.exec(migrate::read_sql(files.front().up));
        tx.exec_params("INSERT INTO schema_migrations (version, dirty) VALUES ($1, false)",
                       files.front().version);
        tx.commit();
    }
    auto m = project_migrator();
    EXPECT_EQ(m->version(), (SchemaVersion{files.front().version, false}));
    const auto result = m->up();
    const std::vector<migrate::Migration> rest(files.begin() + 1, files.end());
    EXPECT_EQ(names_of(result.applied), names_of(rest));  // all but the first, in order
    EXPECT_EQ(version_rows(), clean_at(files.back().version));
}

TEST_F(MigrateCompat, ADirtyGolangMigrateDatabaseIsRefused) {
    {
        pqxx::connection c(m_db.url());
        pqxx::work tx(c);
        tx.exec(
            "CREATE TABLE schema_migrations (version bigint not null primary key, "
            "dirty boolean not null)");
        tx.exec("INSERT INTO schema_migrations VALUES (-1, true)");  // a failed first down
        tx.commit();
    }
    auto m = project_migrator();
    EXPECT_EQ(m->version(), (SchemaVersion{std::nullopt, true}));
    EXPECT_THROW((void)m->up(), migrate::DirtyDatabase);
}

TEST_F(MigrateCompat, WaitsForTheLockGolangMigrateWouldHold) {
    m_dir.write("1_a.up.sql", "CREATE TABLE a (id int);");
    m_dir.write("2_b.up.sql", "CREATE TABLE b (id int);");
    pqxx::connection holder(m_db.url());
    const auto key = migrate::golang_migrate_lock_key(m_db.name(), "public");
    {
        pqxx::nontransaction tx(holder);
        tx.exec_params("SELECT pg_advisory_lock($1)", key);
    }
    std::promise<void> waiting;
    auto m =
        migrator(m_dir.path(), {.on_lock_wait = [&](std::string_view) { waiting.set_value(); }});
    auto run = std::async(std::launch::async, [&] { return m->up(); });
    const auto waited = waiting.get_future().wait_for(std::chrono::seconds(60));
    const bool ran_while_locked = relation_exists("a") || relation_exists("schema_migrations");
    {
        pqxx::nontransaction tx(holder);
        tx.exec_params("SELECT pg_advisory_unlock($1)", key);
    }
    EXPECT_EQ(waited, std::future_status::ready);
    EXPECT_FALSE(ran_while_locked);
    EXPECT_EQ(names_of(run.get().applied), (std::vector<std::string>{"1_a", "2_b"}));
    EXPECT_EQ(version_rows(), clean_at(2));
}

}  // namespace
}  // namespace edgesync::test
