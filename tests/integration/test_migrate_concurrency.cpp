// Two runs at once (threads, then processes) both succeed and every file is
// applied exactly once: the advisory lock serialises them and the second
// re-reads the version once it holds the lock.
#include <sys/wait.h>
#include <unistd.h>

#include <latch>
#include <thread>

#include "tests/integration/migrate_fixture.hpp"

namespace edgesync::test {
namespace {

class MigrateConcurrently : public MigrateTest {
  protected:
    void SetUp() override {
        // Each file logs its own application; the sleep widens the window in
        // which the second run would collide without the lock.
        m_dir.write("000001_log.up.sql",
                    "CREATE TABLE apply_log (version int NOT NULL);\n"
                    "INSERT INTO apply_log VALUES (1);\nSELECT pg_sleep(0.3);\n");
        m_dir.write("000001_log.down.sql", "DROP TABLE apply_log;");
        m_dir.write("000002_two.up.sql",
                    "INSERT INTO apply_log VALUES (2);\nCREATE TABLE two (id int);");
        m_dir.write("000002_two.down.sql", "DROP TABLE two;");
        m_dir.write("000003_three.up.sql",
                    "INSERT INTO apply_log VALUES (3);\nCREATE TABLE three (id int);");
        m_dir.write("000003_three.down.sql", "DROP TABLE three;");
    }

    void expect_each_file_applied_once() const {
        EXPECT_EQ(query("SELECT string_agg(version || 'x' || n, ',' ORDER BY version) FROM "
                        "(SELECT version, count(*) AS n FROM apply_log GROUP BY version) c"),
                  "1x1,2x1,3x1");
        EXPECT_EQ(version_rows(), (std::vector<std::string>{"3:f"}));
        EXPECT_EQ(query("SELECT count(*) FROM pg_class WHERE relname IN ('two', 'three')"), "2");
    }
};

TEST_F(MigrateConcurrently, TwoThreadsBothSucceedAndApplyEachFileOnce) {
    std::latch start(2);
    std::size_t applied[2] = {0, 0};
    std::string errors[2];
    const auto run = [&](int i) {
        try {
            auto m = migrator(m_dir.path());
            start.arrive_and_wait();
            applied[i] = m->up().applied.size();
        } catch (const std::exception& e) {
            errors[i] = e.what();
        }
    };
    std::thread a(run, 0), b(run, 1);
    a.join();
    b.join();
    EXPECT_EQ(errors[0], "");
    EXPECT_EQ(errors[1], "");
    EXPECT_EQ(applied[0] + applied[1], 3U);
    expect_each_file_applied_once();
}

TEST_F(MigrateConcurrently, TwoProcessesBothSucceedAndApplyEachFileOnce) {
    int gate[2];
    ASSERT_EQ(::pipe(gate), 0);
    pid_t children[2];
    for (auto& child : children) {
        child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {  // the child: connect, wait for the gate, migrate, report
            ::close(gate[1]);
            int code = 100;
            try {
                auto m = migrator(m_dir.path());
                char c;
                (void)!::read(gate[0], &c, 1);  // EOF when the parent opens the gate
                code = 10 + static_cast<int>(m->up().applied.size());
            } catch (...) {
                code = 1;
            }
            ::_exit(code);  // no gtest teardown, no database drop in the child
        }
    }
    ::close(gate[0]);
    ::close(gate[1]);  // both children start migrating now
    int applied = 0;
    for (const auto child : children) {
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFEXITED(status));
        const int code = WEXITSTATUS(status);
        EXPECT_GE(code, 10) << "a migrating process failed";
        applied += code - 10;
    }
    EXPECT_EQ(applied, 3);
    expect_each_file_applied_once();
}

}  // namespace
}  // namespace edgesync::test
