#include "agent/ignore.hpp"

namespace edgesync::agent {

namespace {

using Token = IgnoreRules::Token;
using Kind = IgnoreRules::Token::Kind;

Token literal(char c) { return Token{Kind::literal, c, false, {}}; }

void set_bit(std::vector<std::uint8_t>& bits, unsigned char c) {
    bits[c / 8] = static_cast<std::uint8_t>(bits[c / 8] | (1U << (c % 8)));
}

// Parses "[...]" starting at pattern[start] == '['. Returns the index after the
// closing ']', or 0 if the class is not closed (then '[' is a literal).
std::size_t parse_set(std::string_view pattern, std::size_t start, Token& out) {
    out = Token{Kind::set, 0, false, std::vector<std::uint8_t>(32, 0)};
    std::size_t i = start + 1;
    if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) {
        out.negated = true;
        ++i;
    }
    bool first = true;
    while (i < pattern.size()) {
        char c = pattern[i];
        if (c == ']' && !first) return i + 1;
        first = false;
        if (c == '\\' && i + 1 < pattern.size()) c = pattern[++i];
        ++i;
        // A range "a-z" (a '-' right before ']' is a literal '-').
        if (i + 1 < pattern.size() && pattern[i] == '-' && pattern[i + 1] != ']') {
            char hi = pattern[i + 1];
            i += 2;
            if (hi == '\\' && i < pattern.size()) hi = pattern[i++];
            for (int b = static_cast<unsigned char>(c); b <= static_cast<unsigned char>(hi); ++b)
                set_bit(out.bits, static_cast<unsigned char>(b));
        } else {
            set_bit(out.bits, static_cast<unsigned char>(c));
        }
    }
    return 0;
}

std::vector<Token> tokenize(std::string_view p) {
    std::vector<Token> tokens;
    for (std::size_t i = 0; i < p.size();) {
        const char c = p[i];
        if (c == '\\') {
            tokens.push_back(literal(i + 1 < p.size() ? p[i + 1] : '\\'));
            i += 2;
        } else if (c == '*') {
            std::size_t run = i;
            while (run < p.size() && p[run] == '*') ++run;
            const bool starts_component = i == 0 || p[i - 1] == '/';
            if (run - i >= 2 && starts_component && run == p.size()) {
                tokens.push_back(Token{Kind::double_star, 0, false, {}});
                i = run;
            } else if (run - i >= 2 && starts_component && p[run] == '/') {
                tokens.push_back(Token{Kind::double_star_slash, 0, false, {}});
                i = run + 1;
            } else {
                tokens.push_back(Token{Kind::star, 0, false, {}});
                i = run;
            }
        } else if (c == '?') {
            tokens.push_back(Token{Kind::any_char, 0, false, {}});
            ++i;
        } else if (c == '[') {
            Token set;
            const auto end = parse_set(p, i, set);
            if (end == 0) {
                tokens.push_back(literal('['));
                ++i;
            } else {
                tokens.push_back(std::move(set));
                i = end;
            }
        } else {
            tokens.push_back(literal(c));
            ++i;
        }
    }
    return tokens;
}

// Glob matching by memoised search over (token, position, inside-`**/`):
// O(tokens x path length), so no pattern can make it exponential.
class Matcher {
  public:
    Matcher(const std::vector<Token>& tokens, std::string_view s)
        : m_tokens(tokens), m_s(s), m_memo(2 * (tokens.size() + 1) * (s.size() + 1), 0) {}
    bool run() { return match(0, 0, false); }

  private:
    bool match(std::size_t ti, std::size_t si, bool in_dss) {
        auto& memo = m_memo[((ti * (m_s.size() + 1)) + si) * 2 + (in_dss ? 1 : 0)];
        if (memo != 0) return memo == 1;
        const bool result = compute(ti, si, in_dss);
        memo = result ? 1 : 2;
        return result;
    }

    bool compute(std::size_t ti, std::size_t si, bool in_dss) {
        const bool more = si < m_s.size();
        if (in_dss)  // consuming the directories of a `**/`: must end just after a '/'
            return more &&
                   ((m_s[si] == '/' && match(ti + 1, si + 1, false)) || match(ti, si + 1, true));
        if (ti == m_tokens.size()) return !more;
        const Token& t = m_tokens[ti];
        const auto c = more ? static_cast<unsigned char>(m_s[si]) : 0;
        switch (t.kind) {
            case Kind::literal:
                return more && m_s[si] == t.ch && match(ti + 1, si + 1, false);
            case Kind::any_char:
                return more && c != '/' && match(ti + 1, si + 1, false);
            case Kind::set: {
                if (!more || c == '/') return false;
                const bool in_set = ((t.bits[c / 8] >> (c % 8)) & 1U) != 0;
                return in_set != t.negated && match(ti + 1, si + 1, false);
            }
            case Kind::star:
                return match(ti + 1, si, false) || (more && c != '/' && match(ti, si + 1, false));
            case Kind::double_star:
                return match(ti + 1, si, false) || (more && match(ti, si + 1, false));
            case Kind::double_star_slash:
                return match(ti + 1, si, false) || match(ti, si, true);
        }
        return false;
    }

    const std::vector<Token>& m_tokens;
    std::string_view m_s;
    std::vector<std::uint8_t> m_memo;  // 0 unknown, 1 match, 2 no match
};

}  // namespace

IgnoreRules IgnoreRules::parse(std::string_view text) {
    IgnoreRules rules;
    while (!text.empty()) {
        const auto eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line.front() == '#') continue;
        // Trailing spaces go, unless escaped with a backslash.
        while (!line.empty() && line.back() == ' ' &&
               !(line.size() >= 2 && line[line.size() - 2] == '\\'))
            line.remove_suffix(1);
        Rule rule;
        if (!line.empty() && line.front() == '!') {
            rule.negate = true;
            line.remove_prefix(1);
        }
        while (!line.empty() && line.back() == '/' &&
               !(line.size() >= 2 && line[line.size() - 2] == '\\')) {
            rule.dir_only = true;
            line.remove_suffix(1);
        }
        const bool anchored = line.find('/') != std::string_view::npos;
        if (!line.empty() && line.front() == '/') line.remove_prefix(1);
        if (line.empty()) continue;
        if (!anchored) rule.tokens.push_back(Token{Kind::double_star_slash, 0, false, {}});
        auto tokens = tokenize(line);
        rule.tokens.insert(rule.tokens.end(), std::make_move_iterator(tokens.begin()),
                           std::make_move_iterator(tokens.end()));
        rules.m_rules.push_back(std::move(rule));
    }
    return rules;
}

bool IgnoreRules::matches(std::string_view path, bool is_dir) const {
    bool ignored = false;
    for (const auto& rule : m_rules) {
        if (rule.dir_only && !is_dir) continue;
        if (ignored == !rule.negate) continue;  // cannot change the outcome
        if (Matcher(rule.tokens, path).run()) ignored = !rule.negate;
    }
    return ignored;
}

bool IgnoreRules::is_ignored(std::string_view path, bool is_dir) const {
    if (m_rules.empty()) return false;
    for (auto slash = path.find('/'); slash != std::string_view::npos;
         slash = path.find('/', slash + 1))
        if (matches(path.substr(0, slash), true)) return true;
    return matches(path, is_dir);
}

}  // namespace edgesync::agent
