#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "agent/watcher.hpp"
#include "tests/support/temp_dir.hpp"

namespace edgesync::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Every test waits for what it expects with a generous deadline and never
// asserts on how long anything took.
constexpr auto k_deadline = 10s;

class AgentWatcher : public ::testing::Test {
  protected:
    test::TempDir m_dir;
    std::set<std::string> m_seen;  // every path reported so far
    bool m_rescan = false;

    const fs::path& root() const { return m_dir.path(); }

    // Collects batches until `done()` holds or the deadline passes.
    template <typename Done>
    bool collect_until(Watcher& watcher, Done done) {
        const auto give_up = std::chrono::steady_clock::now() + k_deadline;
        while (!done()) {
            if (std::chrono::steady_clock::now() > give_up) return false;
            if (auto batch = watcher.wait(200ms)) {
                EXPECT_TRUE(std::is_sorted(batch->paths.begin(), batch->paths.end()));
                m_seen.insert(batch->paths.begin(), batch->paths.end());
                m_rescan = m_rescan || batch->rescan;
            }
        }
        return true;
    }
    bool seen(const std::string& p) const { return m_seen.contains(p); }
    bool collect_path(Watcher& watcher, const std::string& p) {
        return collect_until(watcher, [&] { return seen(p); });
    }
};

TEST_F(AgentWatcher, ReportsANewFile) {
    Watcher watcher(root(), {});
    m_dir.write("a.txt", "x");
    EXPECT_TRUE(collect_path(watcher, "a.txt"));
}

TEST_F(AgentWatcher, ReportsModificationAndDeletion) {
    m_dir.write("a.txt", "x");
    Watcher watcher(root(), {});
    m_dir.write("a.txt", "changed");
    EXPECT_TRUE(collect_path(watcher, "a.txt"));
    m_seen.clear();
    fs::remove(root() / "a.txt");
    EXPECT_TRUE(collect_path(watcher, "a.txt"));
}

TEST_F(AgentWatcher, WatchesFoldersThatExistedAtStart) {
    fs::create_directories(root() / "a/b/c");
    Watcher watcher(root(), {});
    EXPECT_EQ(watcher.watched_folders(), 4U);
    m_dir.write("a/b/c/deep.txt", "x");
    EXPECT_TRUE(collect_path(watcher, "a/b/c/deep.txt"));
}

TEST_F(AgentWatcher, NewFoldersAreWatchedAsTheyAppear) {
    Watcher watcher(root(), {});
    fs::create_directories(root() / "new/inner");
    m_dir.write("new/inner/early.txt", "x");  // may land before the watch exists
    EXPECT_TRUE(collect_until(watcher, [&] { return seen("new") && seen("new/inner/early.txt"); }));
    m_dir.write("new/inner/late.txt", "y");  // certainly after
    EXPECT_TRUE(collect_path(watcher, "new/inner/late.txt"));
}

TEST_F(AgentWatcher, RenameIsReportedAsOldAndNewPath) {
    m_dir.write("old.txt", "x");
    Watcher watcher(root(), {});
    fs::rename(root() / "old.txt", root() / "new.txt");
    EXPECT_TRUE(collect_until(watcher, [&] { return seen("old.txt") && seen("new.txt"); }));
}

TEST_F(AgentWatcher, FolderMovedInIsReportedWithItsContentAndWatched) {
    test::TempDir outside;
    outside.write("moved/sub/file.txt", "x");
    Watcher watcher(root(), {});
    fs::rename(outside.path() / "moved", root() / "moved");
    EXPECT_TRUE(collect_until(
        watcher, [&] { return seen("moved") && seen("moved/sub") && seen("moved/sub/file.txt"); }));
    m_dir.write("moved/sub/after.txt", "y");
    EXPECT_TRUE(collect_path(watcher, "moved/sub/after.txt"));
}

TEST_F(AgentWatcher, FolderMovedOutIsReportedAndNoLongerWatched) {
    m_dir.write("dir/file.txt", "x");
    test::TempDir outside;
    Watcher watcher(root(), {});
    EXPECT_EQ(watcher.watched_folders(), 2U);
    fs::rename(root() / "dir", outside.path() / "dir");
    EXPECT_TRUE(collect_path(watcher, "dir"));
    EXPECT_EQ(watcher.watched_folders(), 1U);
    // Writes in the moved-away folder must not be reported as if still inside.
    std::ofstream(outside.path() / "dir/elsewhere.txt") << "y";
    m_dir.write("marker", "z");
    EXPECT_TRUE(collect_path(watcher, "marker"));
    EXPECT_FALSE(seen("dir/elsewhere.txt"));
}

TEST_F(AgentWatcher, RenamedFolderKeepsReportingUnderItsNewName) {
    m_dir.write("before/f.txt", "x");
    Watcher watcher(root(), {});
    fs::rename(root() / "before", root() / "after");
    EXPECT_TRUE(collect_until(watcher, [&] { return seen("before") && seen("after/f.txt"); }));
    m_seen.clear();
    m_dir.write("after/g.txt", "y");
    EXPECT_TRUE(collect_path(watcher, "after/g.txt"));
    EXPECT_FALSE(seen("before/g.txt"));
}

TEST_F(AgentWatcher, SkipsTempFilesStateDirAndIgnoredPaths) {
    fs::create_directories(root() / "state");
    WatcherOptions options;
    options.state_dir = root() / "state";
    options.skip = [](std::string_view p, bool) { return p.ends_with(".log"); };
    Watcher watcher(root(), options);
    m_dir.write(".edgesync-tmp-abc", "partial");
    m_dir.write("state/index.sqlite", "db");
    m_dir.write("debug.log", "noise");
    m_dir.write("sub/trace.log", "noise");
    m_dir.write(std::string("bad\xFF"), "not UTF-8");
    m_dir.write("marker", "x");
    EXPECT_TRUE(collect_until(watcher, [&] { return seen("marker") && seen("sub"); }));
    EXPECT_FALSE(seen(std::string("bad\xFF")));
    EXPECT_FALSE(seen(".edgesync-tmp-abc"));
    EXPECT_FALSE(seen("state/index.sqlite"));
    EXPECT_FALSE(seen("debug.log"));
    EXPECT_FALSE(seen("sub/trace.log"));
}

TEST_F(AgentWatcher, SymlinkedFoldersAreNotFollowed) {
    test::TempDir outside;
    fs::create_directory_symlink(outside.path(), root() / "link");
    Watcher watcher(root(), {});
    EXPECT_EQ(watcher.watched_folders(), 1U);
    std::ofstream(outside.path() / "x.txt") << "x";
    m_dir.write("marker", "x");
    EXPECT_TRUE(collect_path(watcher, "marker"));
    EXPECT_FALSE(seen("link/x.txt"));
}

TEST_F(AgentWatcher, ManyQuickChangesArriveDebouncedAndDeduplicated) {
    WatcherOptions options;
    options.debounce = 100ms;
    Watcher watcher(root(), options);
    for (int i = 0; i < 50; ++i) m_dir.write("same.txt", std::to_string(i));
    EXPECT_TRUE(collect_path(watcher, "same.txt"));
    EXPECT_EQ(m_seen.size(), 1U);
}

TEST_F(AgentWatcher, QueueOverflowAsksForARescan) {
    Watcher watcher(root(), {});
    // Far more events than fs.inotify.max_queued_events (16384 by default)
    // before the watcher reads any: the kernel drops events and says so.
    std::ifstream limit_file("/proc/sys/fs/inotify/max_queued_events");
    int limit = 16384;
    limit_file >> limit;
    if (limit > 100'000)
        GTEST_SKIP() << "max_queued_events is " << limit << ": too slow to overflow";
    for (int i = 0; i < limit; ++i) std::ofstream(root() / ("f" + std::to_string(i)));
    EXPECT_TRUE(collect_until(watcher, [&] { return m_rescan; }));
}

TEST_F(AgentWatcher, StopWakesAWaitingThread) {
    Watcher watcher(root(), {});
    std::thread stopper([&] { watcher.stop(); });
    // A stop() that does not wake the wait fails by the ctest timeout, not by a clock.
    EXPECT_FALSE(watcher.wait(240s).has_value());
    stopper.join();
    m_dir.write("after-stop", "x");
    EXPECT_FALSE(watcher.wait(1s).has_value());
}

TEST_F(AgentWatcher, TimeoutWithoutEventsReturnsNothing) {
    Watcher watcher(root(), {});
    EXPECT_FALSE(watcher.wait(10ms).has_value());
}

TEST_F(AgentWatcher, MissingRootIsAnError) {
    EXPECT_THROW(Watcher(root() / "missing", {}), std::system_error);
}

}  // namespace
}  // namespace edgesync::agent
