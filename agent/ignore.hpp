#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgesync::agent {

// `.edgesyncignore` rules, gitignore syntax (one file, at the sync root):
//   blank lines and `# comments` are skipped; `\#`, `\!`, `\ ` escape;
//   trailing unescaped spaces are dropped;
//   `!pattern` re-includes what an earlier pattern excluded (last match wins),
//   but never a path whose parent directory is excluded;
//   `pattern/` matches directories only;
//   a pattern with a '/' at the start or in the middle is anchored at the sync
//   root, otherwise it matches the name at any depth;
//   `*` any run within one component, `?` one character but '/',
//   `[a-z]`, `[!a-z]`, `[^a-z]` character classes (bytes, not code points),
//   `**/x` x at any depth, `x/**` everything inside x, `a/**/b` zero or more
//   directories between; `\c` is a literal c.
// Matching is byte-wise and case-sensitive, over canonical paths (sync_path.hpp).
class IgnoreRules {
  public:
    IgnoreRules() = default;

    // Rules from the text of a .edgesyncignore file. Never fails: a line that
    // cannot be a pattern (e.g. an unclosed '[') is kept as literal text, like git.
    [[nodiscard]] static IgnoreRules parse(std::string_view text);

    // Whether `path` (canonical, relative) is ignored, itself or through one of
    // its parent directories. `is_dir` says whether `path` is a directory.
    [[nodiscard]] bool is_ignored(std::string_view path, bool is_dir) const;

    // The decision of the rules for `path` alone, ignoring its parents: for a
    // walker that already skipped excluded directories.
    [[nodiscard]] bool matches(std::string_view path, bool is_dir) const;

    [[nodiscard]] std::size_t size() const noexcept { return m_rules.size(); }

    struct Token {
        enum class Kind : std::uint8_t {
            literal,
            any_char,
            star,
            double_star_slash,
            double_star,
            set
        };
        Kind kind;
        char ch = 0;                     // literal
        bool negated = false;            // set
        std::vector<std::uint8_t> bits;  // set: 256-bit membership
    };
    struct Rule {
        std::vector<Token> tokens;  // already prefixed with `**/` when not anchored
        bool negate = false;
        bool dir_only = false;
    };

  private:
    std::vector<Rule> m_rules;
};

}  // namespace edgesync::agent
