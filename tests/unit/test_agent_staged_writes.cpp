#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "agent/file_writer.hpp"
#include "agent/staged_writes.hpp"
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

bool has_temp_files(const fs::path& root) {
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (is_temp_file_name(e.path().filename().string())) return true;
    return false;
}

class AgentStagedWrites : public ::testing::Test {
  protected:
    test::TempDir m_dir;
    const fs::path& root() const { return m_dir.path(); }
};

TEST_F(AgentStagedWrites, NothingAppearsBeforeCommitThenEveryFileWithItsMetadata) {
    StagedWrites staged(root());
    const auto a = staged.stage("a.txt", to_bytes("alpha"), 0640, 1'700'000'000'123'456'789);
    const auto b = staged.stage("sub/dir/b.bin", to_bytes("beta"), 0755, 42);
    EXPECT_FALSE(fs::exists(root() / "a.txt"));
    EXPECT_FALSE(fs::exists(root() / "sub/dir/b.bin"));
    EXPECT_EQ(a.st.st_size, 5);
    EXPECT_EQ(a.st.st_mtim.tv_nsec, 123'456'789);

    const auto placed = staged.commit();
    ASSERT_EQ(placed.size(), 2U);
    EXPECT_TRUE(placed[a.id]);
    EXPECT_TRUE(placed[b.id]);
    EXPECT_EQ(read_file(root() / "a.txt"), "alpha");
    EXPECT_EQ(read_file(root() / "sub/dir/b.bin"), "beta");
    struct stat st {};
    ASSERT_EQ(::lstat((root() / "a.txt").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640U);
    EXPECT_EQ(st.st_mtim.tv_sec, 1'700'000'000);
    EXPECT_EQ(st.st_ino, a.st.st_ino);  // the staged file is the one put in place
    EXPECT_FALSE(has_temp_files(root()));
}

TEST_F(AgentStagedWrites, ReplacesAnUnchangedExistingFile) {
    write_file_atomically(root(), "f", to_bytes("old"), 0644, 1);
    StagedWrites staged(root());
    const auto f = staged.stage("f", to_bytes("new"), 0644, 2);
    EXPECT_TRUE(staged.commit()[f.id]);
    EXPECT_EQ(read_file(root() / "f"), "new");
}

TEST_F(AgentStagedWrites, ADestinationChangedAfterStagingIsLeftAloneAndReported) {
    write_file_atomically(root(), "edited", to_bytes("before"), 0644, 1);
    StagedWrites staged(root());
    const auto edited = staged.stage("edited", to_bytes("remote"), 0644, 2);
    const auto created = staged.stage("created", to_bytes("remote"), 0644, 2);
    const auto untouched = staged.stage("untouched", to_bytes("remote"), 0644, 2);
    std::ofstream(root() / "edited", std::ios::trunc) << "local edit, longer";
    std::ofstream(root() / "created") << "local new file";

    const auto placed = staged.commit();
    EXPECT_FALSE(placed[edited.id]);
    EXPECT_FALSE(placed[created.id]);
    EXPECT_TRUE(placed[untouched.id]);
    EXPECT_EQ(read_file(root() / "edited"), "local edit, longer");
    EXPECT_EQ(read_file(root() / "created"), "local new file");
    EXPECT_EQ(read_file(root() / "untouched"), "remote");
    EXPECT_FALSE(has_temp_files(root()));
}

TEST_F(AgentStagedWrites, WritesNeverCommittedLeaveNoTempFiles) {
    {
        StagedWrites staged(root());
        (void)staged.stage("x", to_bytes("x"), 0644, 0);
        (void)staged.stage("d/y", to_bytes("y"), 0644, 0);
        EXPECT_TRUE(has_temp_files(root()));
    }
    EXPECT_FALSE(has_temp_files(root()));
    EXPECT_FALSE(fs::exists(root() / "x"));
}

TEST_F(AgentStagedWrites, NonCanonicalPathsAreRefused) {
    StagedWrites staged(root());
    EXPECT_THROW((void)staged.stage("../escape", to_bytes("x"), 0644, 0), std::invalid_argument);
    EXPECT_THROW((void)staged.stage("/abs", to_bytes("x"), 0644, 0), std::invalid_argument);
}

}  // namespace
}  // namespace edgesync::agent
