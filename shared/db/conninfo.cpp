#include "shared/db/conninfo.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "shared/config/config.hpp"

namespace edgesync {
namespace {

bool is_url(std::string_view s) {
    return s.starts_with("postgres://") || s.starts_with("postgresql://");
}

// Whether `name=` starts a parameter: at the start of a conninfo word, or
// after '?' / '&' in a URL query.
bool has_param(std::string_view url, std::string_view name) {
    const std::string key = std::string(name) + "=";
    for (auto pos = url.find(key); pos != std::string_view::npos; pos = url.find(key, pos + 1)) {
        if (pos == 0) return true;
        const char before = url[pos - 1];
        if (before == '?' || before == '&' || before == ' ' || before == '\t') return true;
    }
    return false;
}

// The password values in a URL's user info, its query, or a conninfo string.
std::vector<std::string> passwords_in(std::string_view url) {
    std::vector<std::string> out;
    if (is_url(url)) {
        const auto auth = url.find("://") + 3;
        const auto at = url.find('@', auth);
        const auto end = url.find_first_of("/?", auth);
        if (at != std::string_view::npos && (end == std::string_view::npos || at < end)) {
            const auto colon = url.find(':', auth);
            if (colon != std::string_view::npos && colon < at)
                out.emplace_back(url.substr(colon + 1, at - colon - 1));
        }
    }
    for (auto pos = url.find("password="); pos != std::string_view::npos;
         pos = url.find("password=", pos + 1)) {
        const auto start = pos + 9;
        const auto end = url.find_first_of(" &", start);
        out.emplace_back(url.substr(start, end == std::string_view::npos ? url.npos : end - start));
    }
    std::erase_if(out, [](const std::string& s) { return s.empty(); });
    return out;
}

}  // namespace

std::string scrub_secrets(std::string_view message, std::string_view url) {
    std::string out(message);
    for (const auto& secret : passwords_in(url))
        for (auto pos = out.find(secret); pos != std::string::npos; pos = out.find(secret, pos + 3))
            out.replace(pos, secret.size(), "***");
    return out;
}

std::string with_conninfo_param(std::string_view url, std::string_view name,
                                std::string_view value) {
    std::string out(url);
    if (has_param(url, name)) return out;
    if (is_url(url))
        out += fmt::format("{}{}={}", url.find('?') == std::string_view::npos ? '?' : '&', name,
                           value);
    else
        out += fmt::format("{}{}={}", out.empty() ? "" : " ", name, value);
    return out;
}

std::string redact_database_url(std::string_view url) {
    std::string out = redact_url(url);
    const auto q = out.find('?');
    if (q == std::string::npos || !is_url(url)) return out;
    for (auto pos = out.find("password=", q); pos != std::string::npos;
         pos = out.find("password=", pos + 1)) {
        const char before = out[pos - 1];
        if (before != '?' && before != '&') continue;
        const auto start = pos + 9;
        const auto end = out.find('&', start);
        out.replace(start, (end == std::string::npos ? out.size() : end) - start, "***");
    }
    return out;
}

}  // namespace edgesync
