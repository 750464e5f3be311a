// The .deb as an operator gets it: built by cpack from this build directory,
// unpacked into a scratch root (never this machine's /), and its programs run
// from there against a fresh database, from a working directory that is not
// the source tree, without --path.
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "shared/migrate/migration_files.hpp"
#include "shared/version.hpp"
#include "tests/support/run_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"

namespace edgesync::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// `args` in `cwd` (default: inherited), with `env` set and MIGRATIONS_PATH unset.
ProcessResult run(std::vector<std::string> args, const fs::path& cwd = {},
                  std::map<std::string, std::string> env = {},
                  std::chrono::milliseconds timeout = 120s) {
    ProcessOptions options;
    options.args = std::move(args);
    options.env = std::move(env);
    options.unset_env.push_back("MIGRATIONS_PATH");
    if (!cwd.empty()) options.cwd = cwd;
    options.timeout = timeout;
    return run_process(options);
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& m : migrate::load_migrations(dir)) names.push_back(m.name);
    return names;
}

class DebPackage : public ::testing::Test {
  protected:
    // cpack into a private output folder: the build directory's own packages
    // (and a concurrent `ninja package`) are left alone.
    static fs::path build_deb(const fs::path& out) {
        const auto r = run({EDGESYNC_CPACK_COMMAND, "--config",
                            std::string(EDGESYNC_BINARY_DIR) + "/CPackConfig.cmake", "-G", "DEB",
                            "-B", out.string()},
                           {}, {}, 240s);
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        for (const auto& entry : fs::directory_iterator(out))
            if (entry.path().extension() == ".deb") return entry.path();
        return {};
    }

    // The schema version recorded in the database, and whether it is dirty.
    static std::pair<std::int64_t, bool> schema_version(const std::string& url) {
        pqxx::connection c(url);
        pqxx::nontransaction tx(c);
        const auto row = tx.exec1("SELECT version, dirty FROM schema_migrations");
        return {row[0].as<std::int64_t>(), row[1].as<bool>()};
    }

    TempDir m_work;
};

TEST_F(DebPackage, InstallsIntoAScratchRootAndMigratesFromItsOwnShareFolder) {
    const auto deb = build_deb(m_work.path() / "out");
    ASSERT_FALSE(deb.empty()) << "cpack wrote no .deb";
    EXPECT_TRUE(deb.filename().string().starts_with(EDGESYNC_PACKAGE_FILE)) << deb;

    // Control fields: the name, the project's version, computed Depends.
    const auto fields = run({"dpkg-deb", "--field", deb.string(), "Package", "Version", "Depends"});
    ASSERT_EQ(fields.exit_code, 0) << describe(fields);
    EXPECT_NE(fields.out.find("Package: edgesync\n"), std::string::npos) << fields.out;
    EXPECT_NE(fields.out.find(std::string("Version: ") + k_version + "\n"), std::string::npos)
        << fields.out;
    EXPECT_NE(fields.out.find("libpqxx"), std::string::npos) << fields.out;
    EXPECT_NE(fields.out.find("libsodium"), std::string::npos) << fields.out;

    const auto root = fs::canonical(m_work.path()) / "root";
    const auto unpacked = run({"dpkg", "-x", deb.string(), root.string()});
    ASSERT_EQ(unpacked.exit_code, 0) << describe(unpacked);

    // The layout an installed system relies on.
    for (const char* file :
         {"usr/bin/edgesync", "usr/bin/edgesync-server", "usr/bin/edgesync-agent",
          "usr/lib/systemd/system/edgesync-server.service",
          "usr/lib/systemd/system/edgesync-agent.service",
          "usr/lib/systemd/system/edgesync-agent@.service", "usr/lib/sysusers.d/edgesync-agent.conf",
          "usr/lib/tmpfiles.d/edgesync-agent.conf",
          "usr/share/doc/edgesync/examples/server.env.example",
          "usr/share/doc/edgesync/operations.md"})
        EXPECT_TRUE(fs::is_regular_file(root / file)) << file;
    const auto installed_migrations = root / "usr/share/edgesync/migrations";
    ASSERT_EQ(names_in(installed_migrations), names_in(migrations_dir()))
        << "the package must carry every migration of the source tree";

    // A working directory with nothing in it: no .env, no ./migrations.
    const auto cwd = m_work.path() / "cwd";
    fs::create_directories(cwd);
    for (const char* program : {"edgesync", "edgesync-server", "edgesync-agent"}) {
        const auto v = run({(root / "usr/bin" / program).string(), "--version"}, cwd);
        EXPECT_EQ(v.exit_code, 0) << program << ": " << describe(v);
        EXPECT_NE(v.out.find(k_version), std::string::npos) << program << ": " << v.out;
    }

    const auto db = TestDatabase::empty();
    const auto up = run({(root / "usr/bin/edgesync").string(), "--verbose", "migrate", "up"}, cwd,
                        {{"DATABASE_URL", db.url()}});
    ASSERT_EQ(up.exit_code, 0) << describe(up);
    // --verbose names the folder used: the installed one, not the source tree's.
    EXPECT_NE(up.err.find("migrations " + installed_migrations.string() + " (installed)"),
              std::string::npos)
        << up.err;
    const auto newest = migrate::load_migrations(migrations_dir()).back().version;
    EXPECT_EQ(schema_version(db.url()), std::make_pair(newest, false));
}

TEST_F(DebPackage, WithoutAnInstalledShareFolderTheCliFallsBackToTheSourceTree) {
    // The developers' case: build/edgesync has no ../share/edgesync/migrations.
    const auto bin = fs::canonical(m_work.path()) / "bin";
    fs::create_directories(bin);
    fs::copy_file(EDGESYNC_CLI_BINARY, bin / "edgesync");
    const auto db = TestDatabase::empty();
    const auto up = run({(bin / "edgesync").string(), "--verbose", "migrate", "up"}, m_work.path(),
                        {{"DATABASE_URL", db.url()}});
    ASSERT_EQ(up.exit_code, 0) << describe(up);
    EXPECT_NE(up.err.find("migrations " + migrations_dir().string() + " (source tree)"),
              std::string::npos)
        << up.err;
    const auto newest = migrate::load_migrations(migrations_dir()).back().version;
    EXPECT_EQ(schema_version(db.url()), std::make_pair(newest, false));
}

}  // namespace
}  // namespace edgesync::test
