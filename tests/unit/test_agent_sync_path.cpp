#include <gtest/gtest.h>

#include <string>

#include "agent/sync_path.hpp"

namespace edgesync::agent {
namespace {

TEST(AgentSyncPath, CanonicalPathsAreAccepted) {
    for (const char* p : {"a", "a/b", "dir/file.txt", ".hidden", "a/.b/c", "...", "a b/c d",
                          "caf\xC3\xA9", "\xF0\x9F\x98\x80.png", "back\\slash"})
        EXPECT_TRUE(is_canonical_path(p)) << p;
}

TEST(AgentSyncPath, NonCanonicalPathsAreRejected) {
    for (const char* p :
         {"", "/abs", "a/", "a//b", ".", "..", "./a", "a/./b", "a/../b", "../a", "a/.."})
        EXPECT_FALSE(is_canonical_path(p)) << p;
    EXPECT_FALSE(is_canonical_path(std::string("a\0b", 3)));
    EXPECT_FALSE(is_canonical_path(std::string(256, 'x')));  // one name over NAME_MAX
    EXPECT_TRUE(is_canonical_path(std::string(255, 'x')));
    std::string long_path;
    while (long_path.size() <= k_max_path_bytes) long_path += "abcdefgh/";
    long_path += "f";
    EXPECT_FALSE(is_canonical_path(long_path));
}

TEST(AgentSyncPath, Utf8ValidationIsStrict) {
    EXPECT_TRUE(is_valid_utf8("plain ascii"));
    EXPECT_TRUE(is_valid_utf8("\xE2\x82\xAC"));       // U+20AC
    EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));   // U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\xFF"));              // never valid
    EXPECT_FALSE(is_valid_utf8("\xC3"));              // truncated
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\xE2\x28\xA1"));      // bad continuation
}

TEST(AgentSyncPath, ParentAndBaseName) {
    EXPECT_EQ(parent_path("a/b/c"), "a/b");
    EXPECT_EQ(parent_path("c"), "");
    EXPECT_EQ(base_name("a/b/c"), "c");
    EXPECT_EQ(base_name("c"), "c");
}

}  // namespace
}  // namespace edgesync::agent
