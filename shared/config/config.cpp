#include "shared/config/config.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
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
            const auto close = value.find(q, 1);
            if (close == std::string_view::npos) throw bad("unterminated quote");
            const auto rest = trim(value.substr(close + 1));
            if (!rest.empty() && rest.front() != '#') throw bad("unexpected text after quoted value");
            parsed = std::string(value.substr(1, close - 1));
            if (q == '"') {  // \n and \" escapes in double quotes, as shells and dotenv do
                std::string unescaped;
                for (std::size_t i = 0; i < parsed.size(); ++i) {
                    if (parsed[i] == '\\' && i + 1 < parsed.size()) {
                        const char n = parsed[++i];
                        unescaped.push_back(n == 'n' ? '\n' : n);
                    } else {
                        unescaped.push_back(parsed[i]);
                    }
                }
                parsed = std::move(unescaped);
            }
        } else {
            const auto hash = value.find(" #");
            parsed = std::string(trim(value.substr(0, hash)));
        }
        out[std::string(name)] = std::move(parsed);
    }
    return out;
}

Config Config::load(const LoadOptions& options) {
    Config c;
    for (const auto& [k, v] : options.defaults) c.set(k, v, ConfigOrigin::default_value);
    if (options.dotenv && std::filesystem::is_regular_file(*options.dotenv)) {
        std::ifstream in(*options.dotenv, std::ios::binary);
        if (!in) throw ConfigError(fmt::format("{}: cannot read", options.dotenv->string()));
        std::stringstream ss;
        ss << in.rdbuf();
        for (auto& [k, v] : parse_dotenv(ss.str(), options.dotenv->string()))
            c.set(k, std::move(v), ConfigOrigin::dotenv);
    }
    if (options.use_environment) {
        for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
            std::string_view kv(*e);
            const auto eq = kv.find('=');
            if (eq == std::string_view::npos) continue;
            const auto name = kv.substr(0, eq);
            // Only names this process could ask for matter; take them all, they are cheap.
            c.set(std::string(name), std::string(kv.substr(eq + 1)), ConfigOrigin::environment);
        }
    }
    for (const auto& [k, v] : options.flags) c.set(k, v, ConfigOrigin::flag);
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
    RedisEndpoint ep;
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        auto userinfo = rest.substr(0, at);
        if (const auto colon = userinfo.find(':'); colon != std::string_view::npos)
            ep.password = std::string(userinfo.substr(colon + 1));
        else
            ep.password = std::string(userinfo);
        rest.remove_prefix(at + 1);
    }
    std::string_view hostport = rest.substr(0, rest.find('/'));
    std::string_view path =
        rest.size() > hostport.size() ? rest.substr(hostport.size() + 1) : std::string_view{};
    if (const auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
    std::string_view host = hostport;
    if (const auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
        host = hostport.substr(0, colon);
        std::int64_t p = 0;
        if (!parse_int(hostport.substr(colon + 1), p) || p < 1 || p > 65535)
            throw bad("has an invalid port");
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
    if (scheme_end == std::string_view::npos) {
        // conninfo: password=... up to the next space
        std::string s(url);
        const auto p = s.find("password=");
        if (p != std::string::npos) {
            const auto end = s.find(' ', p);
            s.replace(p + 9, (end == std::string::npos ? s.size() : end) - (p + 9), "***");
        }
        return s;
    }
    const auto auth_start = scheme_end + 3;
    const auto at = url.find('@', auth_start);
    const auto slash = url.find('/', auth_start);
    if (at == std::string_view::npos || (slash != std::string_view::npos && at > slash))
        return std::string(url);
    const auto colon = url.find(':', auth_start);
    std::string out(url.substr(0, auth_start));
    if (colon != std::string_view::npos && colon < at) {
        out += url.substr(auth_start, colon - auth_start);
        out += ":***";
    } else if (url.starts_with("redis://")) {
        out += "***";  // redis://password@host
    } else {
        out += url.substr(auth_start, at - auth_start);
    }
    out += url.substr(at);
    return out;
}

}  // namespace edgesync
