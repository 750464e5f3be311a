#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include "agent/index.hpp"
#include "shared/util/error.hpp"
#include "tests/support/temp_dir.hpp"

namespace edgesync::agent {
namespace {

IndexEntry entry(std::string path, FileStatus status = FileStatus::clean) {
    IndexEntry e;
    e.state_key = "key-" + path;
    e.path = std::move(path);
    e.size = 42;
    e.mtime_ns = 1'700'000'000'000'000'001;
    e.mode = 0644;
    e.content_hash = Bytes(32, 0xAB);
    e.server_version = 3;
    e.server_seq = 17;
    e.status = status;
    return e;
}

class AgentIndex : public ::testing::Test {
  protected:
    test::TempDir m_dir;
    std::filesystem::path file() const { return m_dir.path() / "index.sqlite"; }
};

TEST_F(AgentIndex, StoresAndFindsEveryField) {
    auto index = Index::open(file());
    const auto e = entry("docs/a.txt");
    index.upsert(e);
    EXPECT_EQ(index.find("docs/a.txt"), e);
    EXPECT_EQ(index.find_by_state_key("key-docs/a.txt"), e);
    EXPECT_FALSE(index.find("docs/b.txt").has_value());
    EXPECT_EQ(index.count(), 1U);
}

TEST_F(AgentIndex, UpsertReplacesTheEntryOfAPath) {
    auto index = Index::open(file());
    index.upsert(entry("a"));
    auto changed = entry("a", FileStatus::dirty);
    changed.size = 7;
    changed.content_hash.clear();  // unknown hash is allowed
    index.upsert(changed);
    EXPECT_EQ(index.find("a"), changed);
    EXPECT_EQ(index.count(), 1U);
}

TEST_F(AgentIndex, RemoveReportsWhetherThePathWasThere) {
    auto index = Index::open(file());
    index.upsert(entry("a"));
    EXPECT_TRUE(index.remove("a"));
    EXPECT_FALSE(index.remove("a"));
    EXPECT_EQ(index.count(), 0U);
}

TEST_F(AgentIndex, ListsByStatusAndUnderAFolder) {
    auto index = Index::open(file());
    for (const auto* p : {"a", "a/x", "a/y/z", "ab", "b"}) index.upsert(entry(p));
    index.upsert(entry("dirty1", FileStatus::dirty));
    EXPECT_EQ(index.with_status(FileStatus::dirty).size(), 1U);
    std::vector<std::string> under;
    for (const auto& e : index.under("a")) under.push_back(e.path);
    EXPECT_EQ(under, (std::vector<std::string>{"a", "a/x", "a/y/z"}));  // not "ab"
    EXPECT_EQ(index.all().size(), 6U);
}

TEST_F(AgentIndex, MetaAndLastAppliedSeqPersistAcrossReopen) {
    {
        auto index = Index::open(file());
        EXPECT_EQ(index.last_applied_seq(), 0);
        EXPECT_FALSE(index.meta(k_meta_device_id).has_value());
        index.set_meta(k_meta_device_id, "dev-1");
        index.set_last_applied_seq(123);
        index.upsert(entry("kept"));
    }
    auto index = Index::open(file());
    EXPECT_EQ(index.meta(k_meta_device_id), "dev-1");
    EXPECT_EQ(index.last_applied_seq(), 123);
    EXPECT_TRUE(index.find("kept").has_value());
}

TEST_F(AgentIndex, UncommittedTransactionRollsBack) {
    auto index = Index::open(file());
    index.upsert(entry("before"));
    {
        auto tx = index.transaction();
        index.upsert(entry("inside"));
        index.set_last_applied_seq(99);
        index.remove("before");
    }  // no commit
    EXPECT_FALSE(index.find("inside").has_value());
    EXPECT_TRUE(index.find("before").has_value());
    EXPECT_EQ(index.last_applied_seq(), 0);
}

TEST_F(AgentIndex, ExceptionInsideTransactionLeavesIndexUnchanged) {
    auto index = Index::open(file());
    try {
        auto tx = index.transaction();
        index.upsert(entry("a"));
        throw std::runtime_error("push failed");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(index.count(), 0U);
}

TEST_F(AgentIndex, CommittedTransactionIsVisibleAfterReopen) {
    {
        auto index = Index::open(file());
        auto tx = index.transaction();
        for (int i = 0; i < 100; ++i) index.upsert(entry("f" + std::to_string(i)));
        index.set_last_applied_seq(100);
        tx.commit();
    }
    auto index = Index::open(file());
    EXPECT_EQ(index.count(), 100U);
    EXPECT_EQ(index.last_applied_seq(), 100);
}

TEST_F(AgentIndex, UsesWalAndRecordsItsSchemaVersion) {
    { auto index = Index::open(file()); }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file().c_str(), &db), SQLITE_OK);
    auto scalar = [&](const char* sql) {
        sqlite3_stmt* s = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &s, nullptr), SQLITE_OK);
        EXPECT_EQ(sqlite3_step(s), SQLITE_ROW);
        std::string v(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
        sqlite3_finalize(s);
        return v;
    };
    EXPECT_EQ(scalar("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(scalar("PRAGMA user_version"), std::to_string(Index::k_schema_version));
    sqlite3_close(db);
}

TEST_F(AgentIndex, RefusesAnIndexFromANewerAgent) {
    { auto index = Index::open(file()); }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    EXPECT_THROW((void)Index::open(file()), StorageError);
}

TEST_F(AgentIndex, GarbageFileIsAStorageError) {
    m_dir.write("index.sqlite", std::string(4096, 'x'));
    EXPECT_THROW((void)Index::open(file()), StorageError);
}

TEST_F(AgentIndex, StateKeysAreUnique) {
    auto index = Index::open(file());
    index.upsert(entry("a"));
    auto clash = entry("b");
    clash.state_key = "key-a";
    EXPECT_THROW(index.upsert(clash), StorageError);
}

// Runs `body` in a child process that dies without any cleanup (no
// destructors, no sqlite3_close), like a crash.
template <typename Body>
void in_crashing_child(Body body) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        body();
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
}

TEST_F(AgentIndex, CrashBeforeCommitLosesOnlyThatTransaction) {
    { Index::open(file()).upsert(entry("committed")); }
    in_crashing_child([&] {
        auto index = Index::open(file());
        auto tx = index.transaction();
        index.upsert(entry("uncommitted"));
        index.set_last_applied_seq(5);
        ::_exit(0);  // dies inside the transaction
    });
    auto index = Index::open(file());
    EXPECT_TRUE(index.find("committed").has_value());
    EXPECT_FALSE(index.find("uncommitted").has_value());
    EXPECT_EQ(index.last_applied_seq(), 0);
}

TEST_F(AgentIndex, CrashAfterCommitKeepsTheTransaction) {
    in_crashing_child([&] {
        auto index = Index::open(file());
        auto tx = index.transaction();
        index.upsert(entry("a"));
        index.set_last_applied_seq(1);
        tx.commit();
        ::_exit(0);  // no close, WAL not checkpointed
    });
    auto index = Index::open(file());
    EXPECT_TRUE(index.find("a").has_value());
    EXPECT_EQ(index.last_applied_seq(), 1);
}

TEST_F(AgentIndex, KillDuringCommitsLeavesEveryTransactionWholeOrAbsent) {
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        // Each transaction adds one entry and sets the seq to the entry count:
        // the invariant a torn commit would break.
        auto index = Index::open(file());
        for (int i = 1;; ++i) {
            auto tx = index.transaction();
            index.upsert(entry("f" + std::to_string(i)));
            index.set_last_applied_seq(i);
            tx.commit();
            if (i == 20) (void)!::write(ready[1], "x", 1);
        }
    }
    ::close(ready[1]);
    char byte = 0;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1);  // the child is committing in a loop
    ::close(ready[0]);
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    auto index = Index::open(file());
    EXPECT_GE(index.count(), 20U);
    EXPECT_EQ(static_cast<std::int64_t>(index.count()), index.last_applied_seq());
}

TEST(AgentFileStatus, NamesRoundTrip) {
    for (const auto s :
         {FileStatus::clean, FileStatus::dirty, FileStatus::deleted, FileStatus::conflict})
        EXPECT_EQ(parse_file_status(to_string(s)), s);
    EXPECT_FALSE(parse_file_status("bogus").has_value());
}

}  // namespace
}  // namespace edgesync::agent
