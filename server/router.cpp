#include "server/router.hpp"

#include <algorithm>
#include <stdexcept>

#include "server/url.hpp"

namespace edgesync::server {

namespace {

bool valid_capture_name(std::string_view name) {
    if (name.empty() || !(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z'))) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    });
}

// Splits "/a/b" into {"a","b"}; "/" into {}. Returns false for an empty
// segment ("//", trailing '/') or a path not starting with '/'.
bool split_path(std::string_view path, std::vector<std::string_view>& out) {
    out.clear();
    if (path.empty() || path[0] != '/') return false;
    if (path == "/") return true;
    path.remove_prefix(1);
    while (true) {
        const auto slash = path.find('/');
        const std::string_view seg = path.substr(0, slash);
        if (seg.empty()) return false;
        out.push_back(seg);
        if (slash == std::string_view::npos) return true;
        path.remove_prefix(slash + 1);
    }
}

std::vector<Route::Segment> parse_pattern(std::string_view pattern) {
    const auto bad = [&](std::string_view why) {
        return std::invalid_argument("route template '" + std::string(pattern) +
                                     "': " + std::string(why));
    };
    std::vector<std::string_view> parts;
    if (!split_path(pattern, parts)) throw bad("must start with '/' and have no empty segment");
    std::vector<Route::Segment> segments;
    for (const auto part : parts) {
        if (part.front() == '{' && part.back() == '}') {
            const auto name = part.substr(1, part.size() - 2);
            if (!valid_capture_name(name)) throw bad("capture names are [a-z_][a-z0-9_]*");
            for (const auto& s : segments)
                if (s.is_capture && s.text == name) throw bad("repeated capture name");
            segments.push_back({std::string(name), true});
        } else {
            if (part.find_first_of("{}") != std::string_view::npos)
                throw bad("a capture must be a whole segment");
            segments.push_back({std::string(part), false});
        }
    }
    return segments;
}

bool same_shape(const std::vector<Route::Segment>& a, const std::vector<Route::Segment>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
        return x.is_capture == y.is_capture && (x.is_capture || x.text == y.text);
    });
}

// True when `a` is more specific than `b`: a literal where `b` captures at the
// first segment where they differ in kind.
bool more_specific(const Route& a, const Route& b) {
    for (std::size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
        if (a.segments[i].is_capture != b.segments[i].is_capture) return !a.segments[i].is_capture;
    }
    return false;
}

}  // namespace

void Router::add(std::string method, std::string_view pattern, Handler handler,
                 RouteOptions options) {
    if (method.empty()) throw std::invalid_argument("route method must not be empty");
    if (!handler) throw std::invalid_argument("route handler must not be empty");
    auto route = std::make_unique<Route>();
    route->segments = parse_pattern(pattern);
    for (const auto& existing : m_routes)
        if (existing->method == method && same_shape(existing->segments, route->segments))
            throw std::invalid_argument("route " + method + " " + std::string(pattern) +
                                        " conflicts with " + existing->pattern);
    route->method = std::move(method);
    route->pattern = std::string(pattern);
    route->handler = std::move(handler);
    route->options = options;
    m_routes.push_back(std::move(route));
}

RouteMatch Router::match(std::string_view method, std::string_view path) const {
    RouteMatch result;
    std::vector<std::string_view> raw;
    if (!split_path(path, raw)) return result;  // not_found: no template has empty segments
    std::vector<std::string> decoded;
    decoded.reserve(raw.size());
    for (const auto seg : raw) {
        auto d = percent_decode(seg);
        if (!d) {
            result.outcome = RouteMatch::Outcome::bad_path;
            return result;
        }
        decoded.push_back(std::move(*d));
    }

    const Route* best = nullptr;
    for (const auto& route : m_routes) {
        if (route->segments.size() != decoded.size()) continue;
        bool ok = true;
        for (std::size_t i = 0; ok && i < decoded.size(); ++i) {
            const auto& seg = route->segments[i];
            ok = seg.is_capture || seg.text == decoded[i];
        }
        if (!ok) continue;
        if (route->method != method) {
            if (std::find(result.allowed.begin(), result.allowed.end(), route->method) ==
                result.allowed.end())
                result.allowed.push_back(route->method);
            continue;
        }
        if (!best || more_specific(*route, *best)) best = route.get();
    }

    if (best) {
        result.outcome = RouteMatch::Outcome::found;
        result.route = best;
        result.allowed.clear();
        for (std::size_t i = 0; i < decoded.size(); ++i)
            if (best->segments[i].is_capture)
                result.params.emplace_back(best->segments[i].text, std::move(decoded[i]));
    } else if (!result.allowed.empty()) {
        result.outcome = RouteMatch::Outcome::method_not_allowed;
        std::sort(result.allowed.begin(), result.allowed.end());
    }
    return result;
}

}  // namespace edgesync::server
