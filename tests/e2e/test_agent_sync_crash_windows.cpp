// The agent's crash windows, each hit deterministically: the agent is run
// with EDGESYNC_AGENT_FAULT=<point> (agent/sync_fs.hpp), which SIGKILLs it at
// that point, exactly like a `kill -9` at that moment. After the restart no
// write is lost, no delete is undone, and nothing that is not a real conflict
// becomes a conflict copy.
#include <csignal>

#include "tests/e2e/test_agent_sync_fixture.hpp"

namespace edgesync::test {
namespace {

namespace fs = std::filesystem;

class AgentCrashWindow : public AgentSyncTest {
  protected:
    // `sync --once`, killed by the fault at `point` (which must be reached).
    void sync_killed_at(const TestAgent& a, const std::string& point) {
        auto o = agent_command(a, {"sync", "--once"});
        o.env["EDGESYNC_AGENT_FAULT"] = point;
        const auto r = run_process(o);
        ASSERT_EQ(r.signal, SIGKILL) << a.name << " never reached " << point << ": "
                                     << describe(r);
    }

    // Both agents synced to the end: the same tree, and no conflict copy.
    void expect_converged_without_copies(const TestAgent& a, const TestAgent& b) {
        sync(b);
        sync(a);
        sync(b);
        const auto ta = tree_of(a.dir());
        EXPECT_EQ(ta, tree_of(b.dir()));
        EXPECT_TRUE(conflict_copies(ta).empty()) << ::testing::PrintToString(conflict_copies(ta));
    }
};

TEST_F(AgentCrashWindow, APulledFileNotYetIndexedIsRemovedWhenDeletedElsewhere) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(a->file("doomed.txt"), "deleted on alpha while beta was down");
    write_file(a->file("stays.txt"), "stays");
    sync(*a);
    sync_killed_at(*b, "exit_after_pull_write");
    ASSERT_EQ(read_all(b->file("doomed.txt")), "deleted on alpha while beta was down");

    fs::remove(a->file("doomed.txt"));
    sync(*a);
    sync(*b);
    EXPECT_FALSE(fs::exists(b->file("doomed.txt"))) << "the remote delete was not applied";
    expect_converged_without_copies(*a, *b);
    EXPECT_FALSE(fs::exists(a->file("doomed.txt"))) << "the deleted file came back";
    EXPECT_EQ(read_all(b->file("stays.txt")), "stays");
}

TEST_F(AgentCrashWindow, APulledFileNotYetIndexedTakesANewerRemoteVersionWithoutConflict) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(a->file("doc.txt"), "first");
    sync(*a);
    sync_killed_at(*b, "exit_after_pull_write");

    write_file(a->file("doc.txt"), "second, from alpha");
    sync(*a);
    expect_converged_without_copies(*a, *b);
    EXPECT_EQ(read_all(b->file("doc.txt")), "second, from alpha");
}

TEST_F(AgentCrashWindow, ANewFilePushedButNotIndexedThenEditedIsNoConflict) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(b->file("note.txt"), "one");
    sync_killed_at(*b, "exit_after_push_send");
    write_file(b->file("note.txt"), "two, edited after the crash");

    expect_converged_without_copies(*a, *b);
    EXPECT_EQ(read_all(a->file("note.txt")), "two, edited after the crash");
}

TEST_F(AgentCrashWindow, AnEditPushedButNotIndexedThenEditedAgainIsNoConflict) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(b->file("note.txt"), "v1");
    sync(*b);
    sync(*a);
    write_file(b->file("note.txt"), "v2");
    sync_killed_at(*b, "exit_after_push_send");
    write_file(b->file("note.txt"), "v3, edited after the crash");

    expect_converged_without_copies(*a, *b);
    EXPECT_EQ(read_all(a->file("note.txt")), "v3, edited after the crash");
}

TEST_F(AgentCrashWindow, ANewFilePushedButNotIndexedThenDeletedLocallyIsDeletedEverywhere) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(b->file("short-lived.txt"), "here for a moment");
    write_file(b->file("stays.txt"), "stays");
    sync_killed_at(*b, "exit_after_push_send");
    fs::remove(b->file("short-lived.txt"));

    expect_converged_without_copies(*a, *b);
    EXPECT_FALSE(fs::exists(b->file("short-lived.txt"))) << "the local delete was undone";
    EXPECT_FALSE(fs::exists(a->file("short-lived.txt")));
    EXPECT_EQ(read_all(a->file("stays.txt")), "stays");
}

TEST_F(AgentCrashWindow, ADeletePushedButNotIndexedStaysDeleted) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(b->file("old.txt"), "old");
    write_file(b->file("keep.txt"), "keep");
    sync(*b);
    sync(*a);
    fs::remove(b->file("old.txt"));
    sync_killed_at(*b, "exit_after_push_send");

    expect_converged_without_copies(*a, *b);
    EXPECT_FALSE(fs::exists(a->file("old.txt")));
    EXPECT_FALSE(fs::exists(b->file("old.txt")));
}

TEST_F(AgentCrashWindow, ARenamePushedButNotIndexedEndsAsTheNewNameOnly) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(b->file("drafts/plan.txt"), "the plan");
    sync(*b);
    sync(*a);
    fs::create_directories(b->file("final"));
    fs::rename(b->file("drafts/plan.txt"), b->file("final/plan.txt"));
    sync_killed_at(*b, "exit_after_push_send");

    expect_converged_without_copies(*a, *b);
    EXPECT_FALSE(fs::exists(a->file("drafts/plan.txt")));
    EXPECT_EQ(read_all(a->file("final/plan.txt")), "the plan");
}

TEST_F(AgentCrashWindow, AConflictCopyWrittenBeforeACrashIsNotMadeTwice) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(a->file("doc.txt"), "original");
    sync(*a);
    sync(*b);
    write_file(a->file("doc.txt"), "alpha's version");
    sync(*a);
    write_file(b->file("doc.txt"), "beta's version");
    sync_killed_at(*b, "exit_after_conflict_copy");
    ASSERT_EQ(conflict_copies(tree_of(b->dir())).size(), 1U);

    sync(*b);
    sync(*a);
    const auto ta = tree_of(a->dir());
    EXPECT_EQ(ta, tree_of(b->dir()));
    EXPECT_EQ(ta.at("doc.txt").second, "alpha's version");
    const auto copies = conflict_copies(ta);
    ASSERT_EQ(copies.size(), 1U) << ::testing::PrintToString(copies);
    EXPECT_EQ(ta.at(copies[0]).second, "beta's version");
}

}  // namespace
}  // namespace edgesync::test
