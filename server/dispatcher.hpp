#pragma once

#include <cstddef>
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

// What to do with a request once its header is read.
struct RouteDecision {
    const Route* route = nullptr;       // null: answer `immediate` instead
    std::optional<Response> immediate;  // 400 invalid_path, 404, 405 (with Allow)
    std::size_t max_body_bytes = 0;     // for the body about to be read
    bool blocking = false;              // run handle() on the worker pool
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
};

// True for 1..128 characters of [A-Za-z0-9._:-]: safe to log and echo.
[[nodiscard]] bool is_sane_request_id(std::string_view id) noexcept;

// The metrics label for a method: itself for the standard ones, else "other".
[[nodiscard]] std::string_view method_label(std::string_view method) noexcept;

}  // namespace edgesync::server
