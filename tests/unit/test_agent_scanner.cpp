#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "agent/content_hash.hpp"
#include "agent/scanner.hpp"
#include "tests/support/temp_dir.hpp"

namespace edgesync::agent {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> paths_of(const std::vector<ScanEntry>& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) out.push_back(e.path);
    return out;
}

std::map<std::string, std::string> skipped_of(const ScanResult& r) {
    std::map<std::string, std::string> out;
    for (const auto& s : r.skipped) out[s.path] = s.reason;
    return out;
}

class AgentScanner : public ::testing::Test {
  protected:
    test::TempDir m_dir;
    const fs::path& root() const { return m_dir.path(); }
    ScanResult run(const IgnoreRules* ignore = nullptr, fs::path state_dir = {}) {
        return scan({root(), std::move(state_dir), ignore});
    }
};

TEST_F(AgentScanner, ListsFilesAndFoldersWithTheirMetadata) {
    m_dir.write("a.txt", "12345");
    m_dir.write("sub/deep/b.bin", "");
    fs::create_directory(root() / "empty");
    ::chmod((root() / "a.txt").c_str(), 0751);
    const auto r = run();
    EXPECT_EQ(paths_of(r.files), (std::vector<std::string>{"a.txt", "sub/deep/b.bin"}));
    EXPECT_EQ(paths_of(r.directories), (std::vector<std::string>{"empty", "sub", "sub/deep"}));
    EXPECT_EQ(r.files[0].size, 5U);
    EXPECT_EQ(r.files[0].mode, 0751U);
    EXPECT_EQ(r.files[0].type, EntryType::file);
    struct stat st {};
    ASSERT_EQ(::stat((root() / "a.txt").c_str(), &st), 0);
    EXPECT_EQ(r.files[0].mtime_ns, st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec);
    EXPECT_TRUE(r.skipped.empty());
}

TEST_F(AgentScanner, ReportsOnlyThePermissionBitsThatSync) {
    const auto file = m_dir.write("tool", "x");
    ASSERT_EQ(::chmod(file.c_str(), 02755), 0);  // setgid does not travel
    EXPECT_EQ(run().files.at(0).mode, 0755U);
}

TEST_F(AgentScanner, SkipsAndReportsSymlinksAndSpecialFiles) {
    m_dir.write("real.txt", "x");
    fs::create_symlink(root() / "real.txt", root() / "link.txt");
    fs::create_directory_symlink(root(), root() / "loop");
    ASSERT_EQ(::mkfifo((root() / "pipe").c_str(), 0600), 0);
    const auto r = run();
    EXPECT_EQ(paths_of(r.files), (std::vector<std::string>{"real.txt"}));
    const auto skipped = skipped_of(r);
    EXPECT_EQ(skipped.at("link.txt"), "symlink");
    EXPECT_EQ(skipped.at("loop"), "symlink");
    EXPECT_NE(skipped.at("pipe").find("special"), std::string::npos);
}

TEST_F(AgentScanner, SkipsTempFilesStateDirAndIgnoredPathsSilently) {
    m_dir.write(".edgesync-tmp-123", "partial");
    m_dir.write("state/index.sqlite", "db");
    m_dir.write("build/out.o", "obj");
    m_dir.write("src/main.o", "obj");
    m_dir.write("src/main.c", "code");
    const auto rules = IgnoreRules::parse("build/\n*.o\n");
    const auto r = run(&rules, root() / "state");
    EXPECT_EQ(paths_of(r.files), (std::vector<std::string>{"src/main.c"}));
    EXPECT_EQ(paths_of(r.directories), (std::vector<std::string>{"src"}));
    EXPECT_TRUE(r.skipped.empty());
}

TEST_F(AgentScanner, ReportsNamesThatAreNotUtf8) {
    m_dir.write(std::string("bad\xFF.txt"), "x");
    const auto r = run();
    EXPECT_TRUE(r.files.empty());
    ASSERT_EQ(r.skipped.size(), 1U);
    EXPECT_EQ(r.skipped[0].path, "bad\\xff.txt");
}

TEST_F(AgentScanner, UnicodeNamesAreScanned) {
    m_dir.write("caf\xC3\xA9/\xE6\x97\xA5\xE6\x9C\xAC.txt", "x");
    EXPECT_EQ(paths_of(run().files),
              (std::vector<std::string>{"caf\xC3\xA9/\xE6\x97\xA5\xE6\x9C\xAC.txt"}));
}

TEST(AgentSkipReporter, ReportsEachSkippedPathOnce) {
    SkipReporter reporter;
    const std::vector<SkippedEntry> first{{"a", "symlink"}, {"b", "symlink"}};
    EXPECT_EQ(reporter.first_seen(first).size(), 2U);
    const std::vector<SkippedEntry> second{{"a", "symlink"}, {"c", "symlink"}};
    const auto fresh = reporter.first_seen(second);
    ASSERT_EQ(fresh.size(), 1U);
    EXPECT_EQ(fresh[0].path, "c");
}

// diff_with_index: a fixture that scans a real folder and counts hash calls.
class AgentDiff : public AgentScanner {
  protected:
    int m_hashes = 0;
    FileHasher hasher() {
        return [this, inner = disk_hasher(root())](const std::string& p) {
            ++m_hashes;
            return inner(p);
        };
    }
    IndexEntry indexed(const std::string& path) {
        const auto r = run();
        for (const auto& f : r.files)
            if (f.path == path)
                return IndexEntry{f.path,
                                  "k-" + f.path,
                                  f.size,
                                  f.mtime_ns,
                                  f.mode,
                                  hash_file(root() / path),
                                  1,
                                  1,
                                  FileStatus::clean};
        ADD_FAILURE() << path << " not on disk";
        return {};
    }
    void set_mtime(const std::string& path, std::int64_t sec) {
        const timespec t[2] = {{sec, 0}, {sec, 0}};
        ASSERT_EQ(::utimensat(AT_FDCWD, (root() / path).c_str(), t, 0), 0);
    }
};

TEST_F(AgentDiff, UnchangedFilesAreNotEvenHashed) {
    m_dir.write("a", "x");
    const std::vector<IndexEntry> index{indexed("a")};
    EXPECT_TRUE(diff_with_index(run(), index, nullptr, hasher()).empty());
    EXPECT_EQ(m_hashes, 0);
}

TEST_F(AgentDiff, NewFileIsAddedWithItsHash) {
    m_dir.write("new", "content");
    const auto changes = diff_with_index(run(), {}, nullptr, hasher());
    ASSERT_EQ(changes.size(), 1U);
    EXPECT_EQ(changes[0].kind, ChangeKind::added);
    EXPECT_EQ(changes[0].path, "new");
    EXPECT_EQ(changes[0].content_hash, content_hash(to_bytes("content")));
}

TEST_F(AgentDiff, EditedContentIsModified) {
    m_dir.write("a", "old");
    set_mtime("a", 1000);
    const std::vector<IndexEntry> index{indexed("a")};
    m_dir.write("a", "new");
    set_mtime("a", 2000);
    const auto changes = diff_with_index(run(), index, nullptr, hasher());
    ASSERT_EQ(changes.size(), 1U);
    EXPECT_EQ(changes[0].kind, ChangeKind::modified);
}

TEST_F(AgentDiff, SameContentWithNewMtimeIsOnlyTouched) {
    m_dir.write("a", "same");
    set_mtime("a", 1000);
    const std::vector<IndexEntry> index{indexed("a")};
    set_mtime("a", 2000);
    const auto changes = diff_with_index(run(), index, nullptr, hasher());
    ASSERT_EQ(changes.size(), 1U);
    EXPECT_EQ(changes[0].kind, ChangeKind::touched);
    EXPECT_EQ(m_hashes, 1);
}

TEST_F(AgentDiff, ModeChangeIsModified) {
    m_dir.write("a", "same");
    const std::vector<IndexEntry> index{indexed("a")};
    ::chmod((root() / "a").c_str(), 0700);
    const auto changes = diff_with_index(run(), index, nullptr, hasher());
    ASSERT_EQ(changes.size(), 1U);
    EXPECT_EQ(changes[0].kind, ChangeKind::modified);
}

TEST_F(AgentDiff, MissingFileIsDeleted) {
    m_dir.write("a", "x");
    const std::vector<IndexEntry> index{indexed("a")};
    fs::remove(root() / "a");
    const auto changes = diff_with_index(run(), index, nullptr, hasher());
    ASSERT_EQ(changes.size(), 1U);
    EXPECT_EQ(changes[0].kind, ChangeKind::deleted);
    EXPECT_EQ(changes[0].path, "a");
}

TEST_F(AgentDiff, FileThatBecameIgnoredIsNotDeleted) {
    m_dir.write("a.log", "x");
    const std::vector<IndexEntry> index{indexed("a.log")};
    const auto rules = IgnoreRules::parse("*.log");
    EXPECT_TRUE(diff_with_index(run(&rules), index, &rules, hasher()).empty());
}

TEST_F(AgentDiff, FileThatBecameASymlinkIsNotDeleted) {
    m_dir.write("a", "x");
    const std::vector<IndexEntry> index{indexed("a")};
    fs::remove(root() / "a");
    m_dir.write("target", "y");
    fs::create_symlink(root() / "target", root() / "a");
    for (const auto& c : diff_with_index(run(), index, nullptr, hasher()))
        EXPECT_NE(c.path, "a") << "symlinked path reported as changed";
}

TEST_F(AgentDiff, IndexTombstoneOnDiskAgainIsAdded) {
    m_dir.write("a", "x");
    auto e = indexed("a");
    e.status = FileStatus::deleted;
    const auto changes = diff_with_index(run(), {e}, nullptr, hasher());
    ASSERT_EQ(changes.size(), 1U);
    EXPECT_EQ(changes[0].kind, ChangeKind::added);
    // and a tombstone not on disk is no change at all
    fs::remove(root() / "a");
    EXPECT_TRUE(diff_with_index(run(), {e}, nullptr, hasher()).empty());
}

}  // namespace
}  // namespace edgesync::agent
