#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/http_types.hpp"
#include "server/metrics.hpp"
#include "server/request_context.hpp"
#include "server/router.hpp"

namespace edgesync::server {

// Runs before the handler on the handler's thread (a worker for blocking
// routes), in the order added; the first one that returns a Response answers
// instead of the handler. The seam for authentication and rate limits: a hook
// that may block must only act on blocking routes (check
// ctx.route->options.blocking) — it would otherwise stall an I/O thread.
using Hook = std::function<std::optional<Response>(RequestContext&)>;

// Answers a request exactly once, from any thread.
using Respond = std::move_only_function<void(Response)>;
// A route's non-blocking implementation: starts the work on the I/O thread
// (it must not block: its Postgres and Redis calls are asynchronous) and
// calls `respond` when done. It replaces the hooks AND the handler: it does
// the hooks' work itself (authentication). Exceptions thrown by it are
// answered as handle() answers them; later ones it maps with
// response_for_exception. `ctx` stays valid until `respond` is called.
using AsyncHandler = std::function<void(RequestContext&, Respond)>;

// What to do with a request once its header is read.
struct RouteDecision {
    const Route* route = nullptr;       // null: answer `immediate` instead
    std::optional<Response> immediate;  // 400 invalid_path, 404, 405 (with Allow)
    std::size_t max_body_bytes = 0;     // for the body about to be read
    bool blocking = false;              // run handle() on the worker pool
    const AsyncHandler* async = nullptr;  // else run this instead of handle(), on the I/O thread
};

// The transport-independent request flow, split into the steps a connection
// performs at different times and on different threads:
//
//   start()    I/O thread, header read: request id (a sane incoming
//              X-Request-Id is kept, else a new UUID).
//   route()    I/O thread: route, captures, body limit, where to run.
//   handle()   I/O thread or worker: hooks + handler; exceptions become
//              error responses (never escape).
//   finish()   X-Request-Id header.
//   complete() just before writing: metrics and the access log line
//              (latency = header read to response ready).
//
// dispatch() runs them all in a row, for tests and tools that have no socket.
// Thread-safe once set up (add_hook only during setup).
class Dispatcher {
  public:
    struct Options {
        std::size_t default_max_body_bytes = 1 << 20;
        // Receives each access log line; default: spdlog at info level.
        std::function<void(const std::string&)> access_log{};
    };

    Dispatcher(const Router& router, MetricsRegistry& metrics, Options options);

    void add_hook(Hook hook);
    // Serves the route `method` `pattern` (already added to the router) with
    // `handler` instead of hooks + handler, for connections (HttpSession);
    // dispatch() keeps using the route's handler. Setup only. Throws
    // std::invalid_argument for a route the router does not have.
    void set_async(std::string_view method, std::string_view pattern, AsyncHandler handler);
    // Runs an async handler, mapping what it throws synchronously.
    void handle_async(const AsyncHandler& handler, RequestContext& ctx, Respond respond) const;

    void start(RequestContext& ctx) const;
    [[nodiscard]] RouteDecision route(RequestContext& ctx) const;
    [[nodiscard]] Response handle(RequestContext& ctx) const noexcept;
    void finish(const RequestContext& ctx, Response& response) const;
    void complete(const RequestContext& ctx, int status, std::size_t bytes_out) const;

    [[nodiscard]] Response dispatch(Request request) const;

    [[nodiscard]] const Router& router() const noexcept { return m_router; }

  private:
    [[nodiscard]] Response run_handler(RequestContext& ctx) const;

    const Router& m_router;
    MetricsRegistry& m_metrics;
    Options m_options;
    std::vector<Hook> m_hooks;
    std::vector<std::pair<const Route*, AsyncHandler>> m_async;  // few: a linear scan
};

// The error response for an exception escaping a handler, as handle() maps
// it: HttpError -> its status, JSON type errors -> 400, pool timeout and
// ConnectionError -> 503 (Retry-After: 1), anything else -> 500 (logged).
[[nodiscard]] Response response_for_exception(const RequestContext& ctx,
                                              std::exception_ptr error) noexcept;

// True for 1..128 characters of [A-Za-z0-9._:-]: safe to log and echo.
[[nodiscard]] bool is_sane_request_id(std::string_view id) noexcept;

// The metrics label for a method: itself for the standard ones, else "other".
[[nodiscard]] std::string_view method_label(std::string_view method) noexcept;

}  // namespace edgesync::server
