#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/http_types.hpp"
#include "server/request_context.hpp"

namespace edgesync::server {

// A handler turns a request into a response. It runs on an I/O thread unless
// its route is `blocking`, in which case it runs on the worker pool and may
// call Postgres, Redis or hash a password. Throwing is allowed: the dispatcher
// maps exceptions to error responses (see dispatcher.hpp).
using Handler = std::function<Response(RequestContext&)>;

struct RouteOptions {
    // Run the handler (and the hooks before it) on the worker pool. Anything
    // that may block — Postgres, Redis, Argon2 — must set it: an I/O thread
    // serves hundreds of connections and must never wait.
    bool blocking = false;
    // Largest request body accepted, in bytes; nullopt = the server default
    // (SERVER_MAX_BODY_BYTES). Checked against Content-Length before the body
    // is read (413 payload_too_large), and while reading a chunked body.
    std::optional<std::size_t> max_body_bytes{};
    // Requires `Authorization: Bearer <access token>` (auth_routes.hpp's
    // hook answers 401 invalid_token otherwise). Such a route must also be
    // blocking: checking the session is a Redis round trip.
    bool auth = false;
};

struct Route {
    std::string method;   // exact, upper case: "GET"
    std::string pattern;  // e.g. "/v1/states/{key}"; also the metrics/log label
    Handler handler;
    RouteOptions options;
    // One per path segment: a literal, or a capture name when is_capture.
    struct Segment {
        std::string text;
        bool is_capture = false;
    };
    std::vector<Segment> segments;
};

struct RouteMatch {
    enum class Outcome {
        found,               // route and params are set
        not_found,           // no route has this path (404 not_found)
        method_not_allowed,  // the path exists for other methods (405, Allow: allowed)
        bad_path,            // malformed percent-encoding in the path (400)
    };
    Outcome outcome = Outcome::not_found;
    const Route* route = nullptr;
    RequestContext::Params params;
    std::vector<std::string> allowed;  // sorted, for method_not_allowed
};

// Method + path-template routing. Templates are '/'-separated segments, each
// a literal or a `{name}` capture matching one whole non-empty segment
// (percent-decoded). When several templates match a path, the one with a
// literal at the earliest differing segment wins, so "/v1/sessions/current"
// beats "/v1/sessions/{sid}" whatever the registration order.
//
// Thread safety: add() during setup only; match() is const and may then be
// called from any number of threads. Route addresses are stable.
class Router {
  public:
    // Throws std::invalid_argument for a malformed template (not starting with
    // '/', an empty segment, a bad or repeated capture name, braces inside a
    // literal) or a route with the same method and the same shape as an
    // existing one.
    void add(std::string method, std::string_view pattern, Handler handler,
             RouteOptions options = {});

    // `path` is the raw (still percent-encoded) path, without the query.
    [[nodiscard]] RouteMatch match(std::string_view method, std::string_view path) const;

    [[nodiscard]] const std::vector<std::unique_ptr<Route>>& routes() const noexcept {
        return m_routes;
    }

  private:
    std::vector<std::unique_ptr<Route>> m_routes;
};

}  // namespace edgesync::server
