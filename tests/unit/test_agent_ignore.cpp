#include <gtest/gtest.h>

#include <string>

#include "agent/ignore.hpp"

namespace edgesync::agent {
namespace {

struct Case {
    const char* rules;  // .edgesyncignore text
    const char* path;
    bool is_dir;
    bool ignored;
};

void PrintTo(const Case& c, std::ostream* os) {
    *os << "rules=\"" << c.rules << "\" path=\"" << c.path << "\" dir=" << c.is_dir;
}

class AgentIgnoreTable : public ::testing::TestWithParam<Case> {};

TEST_P(AgentIgnoreTable, DecidesLikeGitignore) {
    const auto& c = GetParam();
    EXPECT_EQ(IgnoreRules::parse(c.rules).is_ignored(c.path, c.is_dir), c.ignored);
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(Basics, AgentIgnoreTable, ::testing::Values(
    Case{"", "a.txt", false, false},
    Case{"a.txt", "a.txt", false, true},
    Case{"a.txt", "dir/a.txt", false, true},          // no slash: any depth
    Case{"a.txt", "a.txt.bak", false, false},
    Case{"a.txt", "xa.txt", false, false},
    Case{"# a.txt", "# a.txt", false, false},         // comment
    Case{"\\#a.txt", "#a.txt", false, true},          // escaped '#'
    Case{"\n\n  \na.txt\n", "a.txt", false, true},    // blank lines
    Case{"a.txt   ", "a.txt", false, true},           // trailing spaces dropped
    Case{"a.txt\\ ", "a.txt ", false, true},          // escaped trailing space kept
    Case{"a.txt\r\n", "a.txt", false, true}           // CRLF files
));

INSTANTIATE_TEST_SUITE_P(Wildcards, AgentIgnoreTable, ::testing::Values(
    Case{"*.o", "main.o", false, true},
    Case{"*.o", "src/deep/main.o", false, true},
    Case{"*.o", "main.c", false, false},
    Case{"*", "anything", false, true},
    Case{"a*c", "abbbc", false, true},
    Case{"a*c", "a/c", false, false},                 // '*' stops at '/'
    Case{"?.txt", "a.txt", false, true},
    Case{"?.txt", "ab.txt", false, false},
    Case{"a?c", "a/c", false, false},                 // '?' never matches '/'
    Case{"[abc].txt", "b.txt", false, true},
    Case{"[abc].txt", "d.txt", false, false},
    Case{"[a-c].txt", "b.txt", false, true},
    Case{"[!a-c].txt", "b.txt", false, false},
    Case{"[!a-c].txt", "z.txt", false, true},
    Case{"[^a-c].txt", "z.txt", false, true},
    Case{"[]].txt", "].txt", false, true},            // ']' first is a member
    Case{"[a-].txt", "-.txt", false, true},           // '-' last is a member
    Case{"[abc.txt", "[abc.txt", false, true},        // unclosed '[' is literal
    Case{"\\*.txt", "*.txt", false, true},            // escaped '*'
    Case{"\\*.txt", "a.txt", false, false},
    Case{"\\?", "?", false, true},
    Case{"\\[a]", "[a]", false, true},
    Case{"*.TXT", "a.txt", false, false}              // case-sensitive
));

INSTANTIATE_TEST_SUITE_P(Anchoring, AgentIgnoreTable, ::testing::Values(
    Case{"/build", "build", true, true},
    Case{"/build", "src/build", true, false},         // leading '/' anchors
    Case{"doc/*.txt", "doc/a.txt", false, true},
    Case{"doc/*.txt", "doc/sub/a.txt", false, false},  // middle '/' anchors too
    Case{"doc/*.txt", "x/doc/a.txt", false, false},
    Case{"/", "a", false, false}                       // a bare '/' matches nothing
));

INSTANTIATE_TEST_SUITE_P(DirectoriesOnly, AgentIgnoreTable, ::testing::Values(
    Case{"build/", "build", true, true},
    Case{"build/", "build", false, false},            // a file named build stays
    Case{"build/", "src/build", true, true},
    Case{"build/", "build/out.bin", false, true},     // through its parent
    Case{"build/", "src/build/deep/x", false, true},
    Case{"/build/", "src/build/x", false, false}
));

INSTANTIATE_TEST_SUITE_P(DoubleStar, AgentIgnoreTable, ::testing::Values(
    Case{"**/foo", "foo", false, true},
    Case{"**/foo", "a/b/foo", false, true},
    Case{"**/foo/bar", "foo/bar", false, true},
    Case{"**/foo/bar", "x/foo/bar", false, true},
    Case{"**/foo/bar", "x/foo/baz", false, false},
    Case{"abc/**", "abc/x", false, true},
    Case{"abc/**", "abc/x/y", false, true},
    Case{"abc/**", "abc", true, false},               // not abc itself
    Case{"abc/**", "x/abc/y", false, false},
    Case{"a/**/b", "a/b", false, true},               // zero directories
    Case{"a/**/b", "a/x/b", false, true},
    Case{"a/**/b", "a/x/y/b", false, true},
    Case{"a/**/b", "a/xb", false, false},
    Case{"a**b", "axyb", false, true},                // not at a boundary: a plain '*'
    Case{"a**b", "ax/yb", false, false},
    Case{"**", "any/thing", false, true}
));

INSTANTIATE_TEST_SUITE_P(Negation, AgentIgnoreTable, ::testing::Values(
    Case{"*.log\n!keep.log", "keep.log", false, false},
    Case{"*.log\n!keep.log", "drop.log", false, true},
    Case{"!keep.log\n*.log", "keep.log", false, true},   // last match wins
    Case{"*.log\n!keep.log\nkeep.log", "keep.log", false, true},
    Case{"logs/\n!logs/keep.log", "logs/keep.log", false, true},  // parent excluded: stays out
    Case{"logs/*\n!logs/keep.log", "logs/keep.log", false, false},
    Case{"logs/*\n!logs/keep.log", "logs/drop.log", false, true},
    Case{"\\!important", "!important", false, true},   // escaped '!'
    Case{"!", "a", false, false}
));
// clang-format on

TEST(AgentIgnore, CommentsAndBlankLinesAreNotRules) {
    EXPECT_EQ(IgnoreRules::parse("# one\n\n   \n*.o\n# two\n").size(), 1U);
}

TEST(AgentIgnore, MatchesLooksAtThePathAloneNotItsParents) {
    const auto rules = IgnoreRules::parse("build/");
    EXPECT_FALSE(rules.matches("build/out.bin", false));
    EXPECT_TRUE(rules.is_ignored("build/out.bin", false));
}

TEST(AgentIgnore, PathologicalPatternStaysFast) {
    // Exponential for a naive backtracking matcher; memoised search is linear-ish.
    const auto rules = IgnoreRules::parse("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b");
    EXPECT_FALSE(rules.is_ignored(std::string(2000, 'a'), false));
}

}  // namespace
}  // namespace edgesync::agent
