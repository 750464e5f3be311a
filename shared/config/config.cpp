#include "shared/config/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include "shared/util/error.hpp"

extern char** environ;

namespace edgesync {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

bool valid_name(std::string_view n) {
    if (n.empty() || std::isdigit(static_cast<unsigned char>(n.front()))) return false;
    for (char c : n)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
    return true;
}

bool parse_int(std::string_view s, std::int64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size() && !s.empty();
}

// URL userinfo may be percent-encoded (RFC 3986); a '%' not followed by two
// hex digits is kept as is.
std::string percent_decode(std::string_view s) {
    const auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

// RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
bool valid_scheme(std::string_view s) {
    if (s.empty() || !std::isalpha(static_cast<unsigned char>(s.front()))) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.'))
            return false;
    return true;
}

// Keys whose values are secrets, in conninfo strings and URL queries.
bool secret_key(std::string_view key) { return key == "password" || key == "sslpassword"; }

// libpq conninfo: `key = value` pairs separated by whitespace; a value may be
// single-quoted with backslash escapes. Secret values become ***.
std::string redact_conninfo(std::string_view s) {
    const auto space = [&](std::size_t i) {
        return i < s.size() && std::isspace(static_cast<unsigned char>(s[i]));
    };
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        if (space(i)) {
            out.push_back(s[i++]);
            continue;
        }
        const auto key_start = i;
        while (i < s.size() && s[i] != '=' && !space(i)) ++i;
        const auto key = s.substr(key_start, i - key_start);
        out += key;
        while (space(i)) out.push_back(s[i++]);
        if (i >= s.size() || s[i] != '=') continue;
        out.push_back(s[i++]);
        while (space(i)) out.push_back(s[i++]);
        const auto value_start = i;
        if (i < s.size() && s[i] == '\'') {
            for (++i; i < s.size() && s[i] != '\''; ++i)
                if (s[i] == '\\') ++i;
            if (i < s.size()) ++i;  // the closing quote
        } else {
            for (; i < s.size() && !space(i); ++i)
                if (s[i] == '\\') ++i;
        }
        i = std::min(i, s.size());
        if (secret_key(key)) out += "***";
        else out += s.substr(value_start, i - value_start);
    }
    return out;
}

// "?a=1&password=x#frag" -> "?a=1&password=***#frag" (libpq takes password= in URLs).
std::string redact_query(std::string_view q) {
    std::string out;
    std::size_t i = 0;
    while (i < q.size()) {
        out.push_back(q[i++]);  // the '?', '&' or '#' that starts this part
        const auto end = std::min(q.find_first_of("&#", i), q.size());
        const auto part = q.substr(i, end - i);
        const auto eq = part.find('=');
        if (eq != std::string_view::npos && secret_key(part.substr(0, eq))) {
            out += part.substr(0, eq + 1);
            out += "***";
        } else {
            out += part;
        }
        i = end;
    }
    return out;
}

}  // namespace

std::map<std::string, std::string> parse_dotenv(std::string_view text, std::string_view source) {
    std::map<std::string, std::string> out;
    std::size_t line_no = 0;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        ++line_no;
        line = trim(line);
        if (line.empty() || line.front() == '#') continue;
        if (line.starts_with("export ")) line = trim(line.substr(7));
        const auto eq = line.find('=');
        const auto bad = [&](std::string_view why) {
            return ConfigError(fmt::format("{}:{}: {}", source, line_no, why));
        };
        if (eq == std::string_view::npos) throw bad("expected NAME=VALUE");
        const auto name = trim(line.substr(0, eq));
        if (!valid_name(name)) throw bad(fmt::format("invalid variable name '{}'", name));
        std::string_view value = trim(line.substr(eq + 1));
        std::string parsed;
        if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
            const char q = value.front();
            // Single quotes are literal; in double quotes a backslash escapes
            // the next character (\n \r \t become controls, as in shells and
            // dotenv), so an escaped quote does not end the value.
            std::size_t close = 1;
            for (; close < value.size() && value[close] != q; ++close)
                if (q == '"' && value[close] == '\\') ++close;
            if (close >= value.size()) throw bad("unterminated quote");
            const auto rest = trim(value.substr(close + 1));
            if (!rest.empty() && rest.front() != '#') throw bad("unexpected text after quoted value");
            const auto inner = value.substr(1, close - 1);
            if (q == '\'') {
                parsed = std::string(inner);
            } else {
                for (std::size_t i = 0; i < inner.size(); ++i) {
                    if (inner[i] != '\\' || i + 1 == inner.size()) {
                        parsed.push_back(inner[i]);
                        continue;
                    }
                    switch (const char n = inner[++i]) {
                        case 'n': parsed.push_back('\n'); break;
                        case 'r': parsed.push_back('\r'); break;
                        case 't': parsed.push_back('\t'); break;
                        case '"': case '\\': parsed.push_back(n); break;
                        default: parsed.push_back('\\'); parsed.push_back(n); break;  // kept as written
                    }
                }
            }
        } else {
            // An unquoted value ends at a '#' that starts the value or follows
            // whitespace (so "pa#ss" keeps its '#').
            std::size_t end = 0;
            while (end < value.size() &&
                   !(value[end] == '#' &&
                     (end == 0 || std::isspace(static_cast<unsigned char>(value[end - 1])))))
                ++end;
            parsed = std::string(trim(value.substr(0, end)));
        }
        out[std::string(name)] = std::move(parsed);
    }
    return out;
}

Config Config::load(const LoadOptions& options) {
    Config c;
    // An empty value counts as unset (get() returns nullopt for it), so it
    // must not hide a lower layer: `export REDIS_URL=` leaves .env's in force.
    const auto layer = [&c](const std::string& k, std::string v, ConfigOrigin o) {
        if (!v.empty()) c.set(k, std::move(v), o);
    };
    for (const auto& [k, v] : options.defaults) layer(k, v, ConfigOrigin::default_value);
    if (options.dotenv && std::filesystem::is_regular_file(*options.dotenv)) {
        std::ifstream in(*options.dotenv, std::ios::binary);
        if (!in) throw ConfigError(fmt::format("{}: cannot read", options.dotenv->string()));
        std::stringstream ss;
        ss << in.rdbuf();
        for (auto& [k, v] : parse_dotenv(ss.str(), options.dotenv->string()))
            layer(k, std::move(v), ConfigOrigin::dotenv);
    }
    if (options.use_environment) {
        for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
            std::string_view kv(*e);
            const auto eq = kv.find('=');
            if (eq == std::string_view::npos) continue;
            const auto name = kv.substr(0, eq);
            // Only names this process could ask for matter; take them all, they are cheap.
            layer(std::string(name), std::string(kv.substr(eq + 1)), ConfigOrigin::environment);
        }
    }
    for (const auto& [k, v] : options.flags) layer(k, v, ConfigOrigin::flag);
    return c;
}

void Config::set(std::string name, std::string value, ConfigOrigin origin) {
    m_values.insert_or_assign(std::move(name), Entry{std::move(value), origin});
}

std::optional<std::string> Config::get(std::string_view name) const {
    const auto it = m_values.find(name);
    if (it == m_values.end() || it->second.value.empty()) return std::nullopt;
    return it->second.value;
}

std::optional<ConfigOrigin> Config::origin(std::string_view name) const {
    const auto it = m_values.find(name);
    if (it == m_values.end()) return std::nullopt;
    return it->second.origin;
}

std::string Config::require(std::string_view name) const {
    auto v = get(name);
    if (!v) throw ConfigError(fmt::format("{} is not set (set it in the environment or .env)", name));
    return *v;
}

std::int64_t Config::get_int(std::string_view name, std::int64_t fallback, std::int64_t min,
                             std::int64_t max) const {
    const auto v = get(name);
    if (!v) return fallback;
    std::int64_t n = 0;
    if (!parse_int(trim(*v), n))
        throw ConfigError(fmt::format("{} must be a whole number, got '{}'", name, *v));
    if (n < min || n > max)
        throw ConfigError(fmt::format("{} must be between {} and {}, got {}", name, min, max, n));
    return n;
}

std::chrono::milliseconds Config::get_duration(std::string_view name,
                                               std::chrono::milliseconds fallback) const {
    const auto v = get(name);
    if (!v) return fallback;
    std::string_view s = trim(*v);
    std::int64_t scale = 1000;
    if (s.ends_with("ms")) { scale = 1; s.remove_suffix(2); }
    else if (s.ends_with('s')) { scale = 1000; s.remove_suffix(1); }
    else if (s.ends_with('m')) { scale = 60'000; s.remove_suffix(1); }
    else if (s.ends_with('h')) { scale = 3'600'000; s.remove_suffix(1); }
    std::int64_t n = 0;
    if (!parse_int(s, n) || n < 0)
        throw ConfigError(fmt::format("{} must be a duration like 500ms, 5s, 2m or 1h, got '{}'",
                                      name, *v));
    if (n > std::numeric_limits<std::int64_t>::max() / scale)
        throw ConfigError(fmt::format("{} is too large, got '{}'", name, *v));
    return std::chrono::milliseconds(n * scale);
}

std::string Config::database_url() const {
    auto url = require("DATABASE_URL");
    const bool is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
    const bool is_conninfo = url.find('=') != std::string::npos && !is_url;
    if (!is_url && !is_conninfo)
        throw ConfigError(fmt::format(
            "DATABASE_URL must start with postgresql:// (or be a libpq conninfo), got '{}'",
            redact_url(url)));
    return url;
}

std::string Config::redis_url() const {
    auto url = require("REDIS_URL");
    (void)parse_redis_url(url);  // validates
    return url;
}

std::string Config::jwt_secret() const {
    auto s = require("JWT_SECRET");
    if (s.size() < 32)
        throw ConfigError(fmt::format("JWT_SECRET must be at least 32 bytes (got {})", s.size()));
    return s;
}

RedisEndpoint parse_redis_url(std::string_view url) {
    const auto bad = [&](std::string_view why) {
        return ConfigError(fmt::format("REDIS_URL {}: '{}'", why, redact_url(url)));
    };
    constexpr std::string_view scheme = "redis://";
    if (!url.starts_with(scheme)) throw bad("must start with redis://");
    std::string_view rest = url.substr(scheme.size());
    rest = rest.substr(0, rest.find_first_of("?#"));  // no query options are supported
    RedisEndpoint ep;
    // The last '@' ends the userinfo, so a password with a raw '@' still parses.
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        auto userinfo = rest.substr(0, at);
        const auto colon = userinfo.find(':');
        ep.password = percent_decode(colon == std::string_view::npos ? userinfo
                                                                     : userinfo.substr(colon + 1));
        if (colon != std::string_view::npos) ep.username = percent_decode(userinfo.substr(0, colon));
        rest.remove_prefix(at + 1);
    }
    std::string_view hostport = rest.substr(0, rest.find('/'));
    std::string_view path =
        rest.size() > hostport.size() ? rest.substr(hostport.size() + 1) : std::string_view{};
    std::string_view host = hostport;
    std::string_view port;
    bool has_port = false;
    if (hostport.starts_with('[')) {  // IPv6 literal: [::1]:6380
        const auto close = hostport.find(']');
        if (close == std::string_view::npos) throw bad("has an invalid host");
        host = hostport.substr(1, close - 1);
        const auto after = hostport.substr(close + 1);
        if (!after.empty() && !after.starts_with(':')) throw bad("has an invalid host");
        has_port = !after.empty();
        if (has_port) port = after.substr(1);
    } else if (const auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
        host = hostport.substr(0, colon);
        port = hostport.substr(colon + 1);
        has_port = true;
    }
    if (has_port) {
        std::int64_t p = 0;
        if (!parse_int(port, p) || p < 1 || p > 65535) throw bad("has an invalid port");
        ep.port = static_cast<int>(p);
    }
    if (host.empty()) throw bad("has no host");
    ep.host = std::string(host);
    if (!path.empty()) {
        std::int64_t db = 0;
        if (!parse_int(path, db) || db < 0 || db > 15) throw bad("has an invalid database number");
        ep.db = static_cast<int>(db);
    }
    return ep;
}

std::string redact_url(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos || !valid_scheme(url.substr(0, scheme_end)))
        return redact_conninfo(url);
    const auto auth_start = scheme_end + 3;
    const auto query = url.find_first_of("?#", auth_start);
    const auto head = url.substr(0, query);  // scheme://[userinfo@]host[:port][/path]
    std::string out;
    // The last '@' before the query ends the userinfo: a password holding a raw
    // '@' or '/' is hidden whole. (An '@' in a path over-redacts; harmless.)
    if (const auto at = head.rfind('@'); at != std::string_view::npos && at >= auth_start) {
        const auto userinfo = head.substr(auth_start, at - auth_start);
        out = std::string(head.substr(0, auth_start));
        if (const auto colon = userinfo.find(':'); colon != std::string_view::npos) {
            out += userinfo.substr(0, colon);
            out += ":***";
        } else if (url.starts_with("redis://")) {
            out += "***";  // redis://password@host: the lone userinfo is the password
        } else {
            out += userinfo;  // postgresql://user@host: a user name only
        }
        out += head.substr(at);
    } else {
        out = std::string(head);
    }
    if (query != std::string_view::npos) out += redact_query(url.substr(query));
    return out;
}

}  // namespace edgesync
