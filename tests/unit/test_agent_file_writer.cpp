#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "agent/file_writer.hpp"
#include "agent/sync_path.hpp"
#include "shared/util/bytes.hpp"
#include "tests/support/temp_dir.hpp"

namespace edgesync::agent {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct stat stat_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st;
}

bool has_temp_files(const fs::path& root) {
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (is_temp_file_name(e.path().filename().string())) return true;
    return false;
}

class AgentFileWriter : public ::testing::Test {
  protected:
    test::TempDir m_dir;
    const fs::path& root() const { return m_dir.path(); }
};

TEST_F(AgentFileWriter, WritesContentModeAndMtime) {
    const auto content = to_bytes("hello");
    write_file_atomically(root(), "a.txt", content, 0640, 1'700'000'000'123'456'789);
    EXPECT_EQ(read_file(root() / "a.txt"), "hello");
    const auto st = stat_of(root() / "a.txt");
    EXPECT_EQ(st.st_mode & 07777, 0640U);
    EXPECT_EQ(st.st_mtim.tv_sec, 1'700'000'000);
    EXPECT_EQ(st.st_mtim.tv_nsec, 123'456'789);
    EXPECT_FALSE(has_temp_files(root()));
}

TEST_F(AgentFileWriter, ModeIsExactRegardlessOfUmask) {
    write_file_atomically(root(), "x.sh", to_bytes("#!/bin/sh\n"), 0777, 0);
    EXPECT_EQ(stat_of(root() / "x.sh").st_mode & 07777, 0777U);
}

TEST_F(AgentFileWriter, SetuidSetgidAndStickyBitsAreNeverApplied) {
    write_file_atomically(root(), "suid", to_bytes("x"), 07755, 0);
    EXPECT_EQ(stat_of(root() / "suid").st_mode & 07777, 0755U);
}

TEST_F(AgentFileWriter, MtimeBefore1970IsKept) {
    write_file_atomically(root(), "old", {}, 0644, -1'500'000'000);  // -1.5 s
    const auto st = stat_of(root() / "old");
    EXPECT_EQ(st.st_mtim.tv_sec, -2);
    EXPECT_EQ(st.st_mtim.tv_nsec, 500'000'000);
}

TEST_F(AgentFileWriter, CreatesMissingParentFolders) {
    write_file_atomically(root(), "a/b/c/deep.bin", to_bytes("x"), 0644, 0);
    EXPECT_EQ(read_file(root() / "a/b/c/deep.bin"), "x");
}

TEST_F(AgentFileWriter, ReplacesAnExistingFileWhole) {
    m_dir.write("f.txt", "old content that is longer");
    write_file_atomically(root(), "f.txt", to_bytes("new"), 0644, 0);
    EXPECT_EQ(read_file(root() / "f.txt"), "new");
    EXPECT_FALSE(has_temp_files(root()));
}

TEST_F(AgentFileWriter, EmptyFileIsWritten) {
    write_file_atomically(root(), "empty", {}, 0600, 0);
    EXPECT_TRUE(fs::is_regular_file(root() / "empty"));
    EXPECT_EQ(fs::file_size(root() / "empty"), 0U);
}

TEST_F(AgentFileWriter, RefusesToWriteThroughASymlinkedFolder) {
    test::TempDir outside;
    fs::create_directory_symlink(outside.path(), root() / "link");
    EXPECT_THROW(write_file_atomically(root(), "link/escape.txt", to_bytes("x"), 0644, 0),
                 std::system_error);
    EXPECT_FALSE(fs::exists(outside.path() / "escape.txt"));
    EXPECT_FALSE(has_temp_files(outside.path()));
}

TEST_F(AgentFileWriter, RefusesNonCanonicalPaths) {
    EXPECT_THROW(write_file_atomically(root(), "../x", to_bytes("x"), 0644, 0),
                 std::invalid_argument);
    EXPECT_THROW(write_file_atomically(root(), "/etc/x", to_bytes("x"), 0644, 0),
                 std::invalid_argument);
    EXPECT_THROW(write_file_atomically(root(), "a//b", to_bytes("x"), 0644, 0),
                 std::invalid_argument);
}

TEST_F(AgentFileWriter, FailureLeavesNoTempFile) {
    fs::create_directory(root() / "dir");  // a folder where the file should go
    EXPECT_THROW(write_file_atomically(root(), "dir", to_bytes("x"), 0644, 0), std::system_error);
    EXPECT_FALSE(has_temp_files(root()));
}

TEST_F(AgentFileWriter, AFileInPlaceOfAParentFolderIsAnError) {
    m_dir.write("a", "file");
    EXPECT_THROW(write_file_atomically(root(), "a/b", to_bytes("x"), 0644, 0), std::system_error);
}

TEST_F(AgentFileWriter, RemoveFileReportsWhetherItExisted) {
    m_dir.write("d/f", "x");
    EXPECT_TRUE(remove_file(root(), "d/f"));
    EXPECT_FALSE(fs::exists(root() / "d/f"));
    EXPECT_FALSE(remove_file(root(), "d/f"));
    EXPECT_FALSE(remove_file(root(), "missing/dir/f"));
}

TEST_F(AgentFileWriter, StaleTempFilesAreRemovedAtStartup) {
    m_dir.write(".edgesync-tmp-abc", "partial");
    m_dir.write("sub/.edgesync-tmp-def", "partial");
    m_dir.write("state/.edgesync-tmp-keep", "not ours to clean");
    m_dir.write("sub/real.txt", "keep");
    EXPECT_EQ(remove_stale_temp_files(root(), root() / "state"), 2U);
    EXPECT_FALSE(fs::exists(root() / ".edgesync-tmp-abc"));
    EXPECT_FALSE(fs::exists(root() / "sub/.edgesync-tmp-def"));
    EXPECT_TRUE(fs::exists(root() / "state/.edgesync-tmp-keep"));
    EXPECT_TRUE(fs::exists(root() / "sub/real.txt"));
}

TEST(AgentTempName, OnlyTheAgentPrefixCounts) {
    EXPECT_TRUE(is_temp_file_name(".edgesync-tmp-0123"));
    EXPECT_FALSE(is_temp_file_name("edgesync-tmp-0123"));
    EXPECT_FALSE(is_temp_file_name("x.edgesync-tmp-0123"));
}

struct ConflictCase {
    const char* path;
    const char* expected;
};

class AgentConflictName : public ::testing::TestWithParam<ConflictCase> {};

TEST_P(AgentConflictName, KeepsTheExtensionAndFolder) {
    // 2026-11-25 09:24:39 UTC
    const auto when = std::chrono::system_clock::time_point(std::chrono::seconds(1'795'598'679));
    EXPECT_EQ(conflict_copy_name(GetParam().path, when, "3f2a9c1e-77aa-4bcd-9e01-aabbccddeeff"),
              GetParam().expected);
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(Names, AgentConflictName, ::testing::Values(
    ConflictCase{"report.pdf", "report.sync-conflict-20261125-092439-3f2a9c1.pdf"},
    ConflictCase{"docs/report.pdf", "docs/report.sync-conflict-20261125-092439-3f2a9c1.pdf"},
    ConflictCase{"archive.tar.gz", "archive.tar.sync-conflict-20261125-092439-3f2a9c1.gz"},
    ConflictCase{".bashrc", ".bashrc.sync-conflict-20261125-092439-3f2a9c1"},
    ConflictCase{"a/.config.json", "a/.config.sync-conflict-20261125-092439-3f2a9c1.json"},
    ConflictCase{"Makefile", "Makefile.sync-conflict-20261125-092439-3f2a9c1"},
    ConflictCase{"trailing.", "trailing..sync-conflict-20261125-092439-3f2a9c1"},
    ConflictCase{"dir.d/noext", "dir.d/noext.sync-conflict-20261125-092439-3f2a9c1"}
));
// clang-format on

TEST(AgentConflictNameDevice, DeviceIsSevenLettersOrDigits) {
    const auto when = std::chrono::system_clock::time_point{};
    EXPECT_EQ(conflict_copy_name("a.txt", when, "ab-cd/ef..ghij"),
              "a.sync-conflict-19700101-000000-abcdefg.txt");
    EXPECT_EQ(conflict_copy_name("a.txt", when, "/"),
              "a.sync-conflict-19700101-000000-unknown.txt");
}

TEST(AgentConflictNameDevice, LongNamesAreShortenedToAValidName) {
    const auto when = std::chrono::system_clock::time_point{};
    // 2-byte characters, so a naive cut could split one.
    std::string stem;
    while (stem.size() < 250) stem += "\xC3\xA9";
    const auto copy = conflict_copy_name("dir/" + stem + ".txt", when, "dev");
    const auto name = copy.substr(4);
    EXPECT_LE(name.size(), 255U);
    EXPECT_TRUE(name.ends_with(".sync-conflict-19700101-000000-dev.txt"));
    EXPECT_TRUE(is_canonical_path(copy)) << "cut inside a UTF-8 character";
}

TEST(AgentConflictNameDevice, ConflictCopiesAreRecognised) {
    EXPECT_TRUE(is_conflict_copy_name("d/a.sync-conflict-19700101-000000-abc.txt"));
    EXPECT_FALSE(is_conflict_copy_name("d.sync-conflict-x/a.txt"));
}

}  // namespace
}  // namespace edgesync::agent
