#include <gtest/gtest.h>

#include "shared/migrate/conninfo.hpp"
#include "shared/migrate/lock_key.hpp"
#include "shared/migrate/migration_files.hpp"
#include "shared/util/error.hpp"
#include "tests/support/temp_dir.hpp"

namespace edgesync::migrate {
namespace {

using test::TempDir;

ExitCode code_of_load(const std::filesystem::path& dir) {
    try {
        (void)load_migrations(dir);
    } catch (const Error& e) {
        return e.code();
    }
    return ExitCode::ok;
}

std::string load_error(const std::filesystem::path& dir) {
    try {
        (void)load_migrations(dir);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(MigrationFileName, ParsesVersionNameAndDirection) {
    const auto up = parse_file_name("000001_init.up.sql");
    ASSERT_TRUE(up) << up.error();
    EXPECT_EQ(up->version, 1);
    EXPECT_EQ(up->name, "000001_init");
    EXPECT_EQ(up->direction, Direction::up);
    const auto down = parse_file_name("20240101120000_add.users.down.sql");
    ASSERT_TRUE(down) << down.error();
    EXPECT_EQ(down->version, 20240101120000);
    EXPECT_EQ(down->name, "20240101120000_add.users");
    EXPECT_EQ(down->direction, Direction::down);
}

TEST(MigrationFileName, RejectsNamesOutsideTheFormat) {
    EXPECT_FALSE(parse_file_name("init.up.sql"));                    // no version
    EXPECT_FALSE(parse_file_name("0001init.up.sql"));                // no '_'
    EXPECT_FALSE(parse_file_name("0001_.up.sql"));                   // empty title
    EXPECT_FALSE(parse_file_name("0001_init.sql"));                  // no direction
    EXPECT_FALSE(parse_file_name("0001_init.sideways.sql"));         // bad direction
    EXPECT_FALSE(parse_file_name("99999999999999999999_x.up.sql"));  // overflows bigint
}

TEST(LoadMigrations, SortsByVersionPairsUpWithDownAndIgnoresOtherFiles) {
    TempDir dir;
    dir.write("10_ten.up.sql", "");
    dir.write("2_two.up.sql", "");
    dir.write("2_two.down.sql", "");
    dir.write("README.md", "not a migration");
    dir.write(".hidden.sql", "");
    const auto all = load_migrations(dir.path());
    ASSERT_EQ(all.size(), 2U);
    EXPECT_EQ(all[0].version, 2);
    EXPECT_TRUE(all[0].down.has_value());
    EXPECT_EQ(all[1].version, 10);
    EXPECT_FALSE(all[1].down.has_value());  // allowed: only reverting it fails
}

TEST(LoadMigrations, RejectsABadSqlFileNameNamingTheFile) {
    TempDir dir;
    dir.write("000001_init.up.sql", "");
    dir.write("add_users.sql", "");
    EXPECT_EQ(code_of_load(dir.path()), ExitCode::failure);
    EXPECT_NE(load_error(dir.path()).find("add_users.sql"), std::string::npos);
}

TEST(LoadMigrations, RejectsTwoFilesForOneVersion) {
    TempDir dir;
    dir.write("1_a.up.sql", "");
    dir.write("001_b.up.sql", "");
    const auto what = load_error(dir.path());
    EXPECT_NE(what.find("version 1 is also used"), std::string::npos) << what;
}

TEST(LoadMigrations, RejectsADownWithoutUpAndMismatchedTitles) {
    TempDir lonely;
    lonely.write("3_x.down.sql", "");
    EXPECT_NE(load_error(lonely.path()).find("no matching .up.sql"), std::string::npos);
    TempDir mismatched;
    mismatched.write("3_x.up.sql", "");
    mismatched.write("3_y.down.sql", "");
    EXPECT_NE(load_error(mismatched.path()).find("title differs"), std::string::npos);
}

TEST(LoadMigrations, AMissingDirectoryIsNotFound) {
    TempDir dir;
    EXPECT_EQ(code_of_load(dir.path() / "nope"), ExitCode::not_found);
}

TEST(CreateMigration, WritesTheNextNumberedEmptyPairZeroPadded) {
    TempDir dir;
    const auto first = create_migration(dir.path() / "migrations", "init");
    EXPECT_EQ(first.version, 1);
    EXPECT_EQ(first.up.filename(), "000001_init.up.sql");
    EXPECT_EQ(first.down.filename(), "000001_init.down.sql");
    EXPECT_EQ(std::filesystem::file_size(first.up), 0U);
    dir.write("migrations/000041_x.up.sql", "SELECT 1;");
    const auto next = create_migration(dir.path() / "migrations", "add-users_2");
    EXPECT_EQ(next.up.filename(), "000042_add-users_2.up.sql");
    EXPECT_EQ(load_migrations(dir.path() / "migrations").size(), 3U);
}

TEST(CreateMigration, RejectsANameThatIsNotAWord) {
    TempDir dir;
    for (const char* bad : {"", "two words", "../escape", "semi;colon"}) {
        try {
            (void)create_migration(dir.path(), bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), ExitCode::usage);
        }
    }
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(LockKey, MatchesGolangMigrateForTheSameDatabaseAndSchema) {
    EXPECT_EQ(crc32_ieee("123456789"), 0xCBF43926U);  // the CRC-32 check value
    // golang-migrate: crc32("public\0schema_migrations\0edgesync") * 1486364155 mod 2^32
    EXPECT_EQ(golang_migrate_lock_key("edgesync", "public"), 4155497358);
}

TEST(ConnInfo, AddsConnectTimeoutUnlessTheUrlSetsIt) {
    EXPECT_EQ(with_conninfo_param("postgresql://h/db", "connect_timeout", "5"),
              "postgresql://h/db?connect_timeout=5");
    EXPECT_EQ(with_conninfo_param("postgresql://h/db?sslmode=disable", "connect_timeout", "5"),
              "postgresql://h/db?sslmode=disable&connect_timeout=5");
    EXPECT_EQ(with_conninfo_param("host=h dbname=db", "connect_timeout", "5"),
              "host=h dbname=db connect_timeout=5");
    EXPECT_EQ(with_conninfo_param("postgresql://h/db?connect_timeout=9", "connect_timeout", "5"),
              "postgresql://h/db?connect_timeout=9");
    EXPECT_EQ(with_conninfo_param("host=h connect_timeout=9", "connect_timeout", "5"),
              "host=h connect_timeout=9");
}

TEST(ConnInfo, RedactsPasswordsInUserInfoQueryAndConninfo) {
    EXPECT_EQ(redact_database_url("postgresql://u:s3cret@h/db?password=other&x=1"),
              "postgresql://u:***@h/db?password=***&x=1");
    EXPECT_EQ(redact_database_url("host=h password=s3cret dbname=d"),
              "host=h password=*** dbname=d");
    EXPECT_EQ(
        scrub_secrets("failed for s3cret and other", "postgresql://u:s3cret@h/db?password=other"),
        "failed for *** and ***");
}

}  // namespace
}  // namespace edgesync::migrate
