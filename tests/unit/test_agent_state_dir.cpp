#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <stdexcept>

#include "agent/content_hash.hpp"
#include "agent/file_reader.hpp"
#include "agent/state_dir.hpp"
#include "shared/util/bytes.hpp"
#include "tests/support/temp_dir.hpp"

namespace edgesync::agent {
namespace {

namespace fs = std::filesystem;

TEST(AgentStateDir, SystemdStateDirectoryWins) {
    EXPECT_EQ(default_state_dir("/var/lib/edgesync/photos", "/home/u", false),
              fs::path("/var/lib/edgesync/photos"));
    EXPECT_EQ(default_state_dir("/var/lib/a:/var/lib/b", "/home/u", true), fs::path("/var/lib/a"));
}

TEST(AgentStateDir, RootUsesVarLibOthersTheirHome) {
    EXPECT_EQ(default_state_dir(nullptr, "/root", true), fs::path("/var/lib/edgesync"));
    EXPECT_EQ(default_state_dir(nullptr, "/home/u", false),
              fs::path("/home/u/.local/state/edgesync"));
    EXPECT_EQ(default_state_dir("", "/home/u", false), fs::path("/home/u/.local/state/edgesync"));
}

TEST(AgentSecretFile, IsWrittenOwnerOnlyAndReadBack) {
    test::TempDir dir;
    ensure_private_dir(dir.path() / "state");
    struct stat st {};
    ASSERT_EQ(::stat((dir.path() / "state").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700U);
    const auto file = dir.path() / "state/device.key";
    const auto secret = to_bytes("not a real key");
    write_secret_file(file, secret);
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600U);
    const auto back = read_secret_file(file);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->to_bytes(), secret);
    write_secret_file(file, to_bytes("replaced"));  // atomic replace
    EXPECT_EQ(read_secret_file(file)->to_bytes(), to_bytes("replaced"));
}

TEST(AgentSecretFile, MissingIsNulloptAndReadableByOthersIsRefused) {
    test::TempDir dir;
    EXPECT_FALSE(read_secret_file(dir.path() / "missing").has_value());
    const auto file = dir.write("leaky.key", "secret");
    ::chmod(file.c_str(), 0644);
    EXPECT_THROW((void)read_secret_file(file), std::runtime_error);
}

class AgentFileReader : public ::testing::Test {
  protected:
    test::TempDir m_dir;
};

TEST_F(AgentFileReader, ReadsContentAndMetadata) {
    const auto file = m_dir.write("d/a.bin", std::string("bin\0ary", 7));
    ::chmod(file.c_str(), 0750);
    const auto snap = read_file_snapshot(m_dir.path(), "d/a.bin", 1024);
    ASSERT_TRUE(snap.has_value()) << snap.error().message;
    EXPECT_EQ(snap->content, to_bytes(std::string("bin\0ary", 7)));
    EXPECT_EQ(snap->entry.size, 7U);
    EXPECT_EQ(snap->entry.mode, 0750U);
    EXPECT_EQ(snap->content_hash, content_hash(snap->content));
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(snap->entry.mtime_ns, st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec);
}

TEST_F(AgentFileReader, EmptyFileIsRead) {
    m_dir.write("empty", "");
    const auto snap = read_file_snapshot(m_dir.path(), "empty", 0);
    ASSERT_TRUE(snap.has_value());
    EXPECT_TRUE(snap->content.empty());
}

TEST_F(AgentFileReader, ReportsGoneTooLargeAndSymlinks) {
    EXPECT_EQ(read_file_snapshot(m_dir.path(), "missing", 10).error().kind, ReadError::Kind::gone);
    EXPECT_EQ(read_file_snapshot(m_dir.path(), "no/such/dir", 10).error().kind,
              ReadError::Kind::gone);
    m_dir.write("big", std::string(11, 'x'));
    EXPECT_EQ(read_file_snapshot(m_dir.path(), "big", 10).error().kind, ReadError::Kind::too_large);
    test::TempDir outside;
    outside.write("secret", "x");
    fs::create_symlink(outside.path() / "secret", m_dir.path() / "link");
    EXPECT_EQ(read_file_snapshot(m_dir.path(), "link", 10).error().kind,
              ReadError::Kind::not_regular);
    fs::create_directory_symlink(outside.path(), m_dir.path() / "dirlink");
    EXPECT_EQ(read_file_snapshot(m_dir.path(), "dirlink/secret", 10).error().kind,
              ReadError::Kind::not_regular);
    fs::create_directory(m_dir.path() / "folder");
    EXPECT_EQ(read_file_snapshot(m_dir.path(), "folder", 10).error().kind,
              ReadError::Kind::not_regular);
}

}  // namespace
}  // namespace edgesync::agent
