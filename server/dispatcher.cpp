#include "server/dispatcher.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <stdexcept>
#include <nlohmann/json.hpp>

#include "server/access_log.hpp"
#include "server/response.hpp"
#include "shared/db/pg_pool.hpp"
#include "shared/util/error.hpp"
#include "shared/util/uuid.hpp"

namespace edgesync::server {

bool is_sane_request_id(std::string_view id) noexcept {
    return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.' || c == ':';
    });
}

std::string_view method_label(std::string_view method) noexcept {
    static constexpr std::array<std::string_view, 9> known = {
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"};
    for (const auto m : known)
        if (m == method) return m;
    return "other";
}

Dispatcher::Dispatcher(const Router& router, MetricsRegistry& metrics, Options options)
    : m_router(router), m_metrics(metrics), m_options(std::move(options)) {
    if (!m_options.access_log)
        m_options.access_log = [](const std::string& line) { spdlog::info("{}", line); };
}

void Dispatcher::add_hook(Hook hook) { m_hooks.push_back(std::move(hook)); }

void Dispatcher::start(RequestContext& ctx) const {
    const auto incoming = ctx.request.headers.get("X-Request-Id");
    ctx.request_id =
        incoming && is_sane_request_id(*incoming) ? std::string(*incoming) : new_uuid();
}

RouteDecision Dispatcher::route(RequestContext& ctx) const {
    RouteDecision d;
    d.max_body_bytes = m_options.default_max_body_bytes;
    auto m = m_router.match(ctx.request.method, ctx.request.path());
    switch (m.outcome) {
        case RouteMatch::Outcome::found:
            d.route = m.route;
            d.blocking = m.route->options.blocking;
            d.max_body_bytes = m.route->options.max_body_bytes.value_or(d.max_body_bytes);
            for (const auto& [route, handler] : m_async)
                if (route == m.route) d.async = &handler;
            ctx.route = m.route;
            ctx.params = std::move(m.params);
            break;
        case RouteMatch::Outcome::not_found:
            d.immediate = error_response(404, error_code::not_found, "no such resource");
            break;
        case RouteMatch::Outcome::bad_path:
            d.immediate = error_response(400, error_code::invalid_path,
                                         "the path has a malformed percent-escape");
            break;
        case RouteMatch::Outcome::method_not_allowed: {
            std::string allow;
            for (const auto& method : m.allowed) allow += (allow.empty() ? "" : ", ") + method;
            d.immediate = error_response(405, error_code::method_not_allowed,
                                         fmt::format("{} is not allowed here; allowed: {}",
                                                     sanitize_method(ctx.request.method), allow));
            d.immediate->headers.set("Allow", allow);
            break;
        }
    }
    return d;
}

Response Dispatcher::run_handler(RequestContext& ctx) const {
    for (const auto& hook : m_hooks)
        if (auto r = hook(ctx)) return std::move(*r);
    return ctx.route->handler(ctx);
}

Response Dispatcher::handle(RequestContext& ctx) const noexcept {
    try {
        if (!ctx.route) return error_response(404, error_code::not_found, "no such resource");
        return run_handler(ctx);
    } catch (...) {
        return response_for_exception(ctx, std::current_exception());
    }
}

void Dispatcher::set_async(std::string_view method, std::string_view pattern,
                           AsyncHandler handler) {
    for (const auto& route : m_router.routes())
        if (route->method == method && route->pattern == pattern) {
            m_async.emplace_back(route.get(), std::move(handler));
            return;
        }
    throw std::invalid_argument("set_async: no route " + std::string(method) + " " +
                                std::string(pattern));
}

void Dispatcher::handle_async(const AsyncHandler& handler, RequestContext& ctx,
                              Respond respond) const {
    // Exactly one answer, even if the handler throws after starting its work.
    struct Once {
        Respond respond;
        std::atomic<bool> answered{false};
        void operator()(Response r) {
            if (!answered.exchange(true)) respond(std::move(r));
        }
    };
    auto once = std::make_shared<Once>(std::move(respond));
    try {
        handler(ctx, [once](Response r) { (*once)(std::move(r)); });
    } catch (...) {
        (*once)(response_for_exception(ctx, std::current_exception()));
    }
}

Response response_for_exception(const RequestContext& ctx, std::exception_ptr error) noexcept {
    try {
        try {
            std::rethrow_exception(error);
        } catch (const HttpError& e) {
            return error_response(e.status(), e.code(), e.what());
        } catch (const nlohmann::json::exception& e) {
            // Reading a field of the wrong type from a client's document: bad
            // input, never a 500. nlohmann's messages name types and keys, not values.
            return error_response(400, error_code::invalid_request, e.what());
        } catch (const PoolTimeoutError& e) {
            spdlog::warn("request {} ({}): {}", ctx.request_id, ctx.route_template(), e.what());
            auto r = error_response(503, error_code::overloaded, "the server is busy; retry later");
            r.headers.set("Retry-After", "1");
            return r;
        } catch (const ConnectionError& e) {
            spdlog::warn("request {} ({}): backing service unavailable: {}", ctx.request_id,
                         ctx.route_template(), e.what());
            auto r = error_response(503, error_code::unavailable,
                                    "a backing service is unavailable; retry later");
            r.headers.set("Retry-After", "1");
            return r;
        } catch (const std::exception& e) {
            spdlog::error("request {} ({}) failed: {}", ctx.request_id, ctx.route_template(),
                          e.what());
        } catch (...) {
            spdlog::error("request {} ({}) failed with a non-standard exception", ctx.request_id,
                          ctx.route_template());
        }
        return error_response(500, error_code::internal_error,
                              fmt::format("internal error (request id {})", ctx.request_id));
    } catch (...) {
        // Building the error response itself failed (out of memory): a bare 500.
        Response r;
        r.status = 500;
        r.close = true;
        return r;
    }
}

void Dispatcher::finish(const RequestContext& ctx, Response& response) const {
    if (!ctx.request_id.empty()) response.headers.set("X-Request-Id", ctx.request_id);
}

void Dispatcher::complete(const RequestContext& ctx, int status, std::size_t bytes_out) const {
    const auto elapsed = std::chrono::steady_clock::now() - ctx.started;
    const std::string route = ctx.route ? ctx.route->pattern : std::string("unmatched");
    Labels labels = {{"method", std::string(method_label(ctx.request.method))},
                     {"route", route},
                     {"status", std::to_string(status)}};
    try {
        m_metrics
            .counter("edgesync_http_requests_total", "HTTP requests answered, by route template",
                     labels)
            .inc();
        m_metrics
            .histogram("edgesync_http_request_duration_seconds",
                       "Time from reading the request header to the response being ready",
                       std::move(labels), k_latency_buckets)
            .observe(std::chrono::duration<double>(elapsed).count());
        m_options.access_log(format_access_log({
            .method = ctx.request.method,
            .route = ctx.route_template(),
            .status = status,
            .duration = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed),
            .request_id = ctx.request_id,
            .account_id =
                ctx.account_id ? std::optional<std::string_view>(*ctx.account_id) : std::nullopt,
            .remote_address = ctx.request.remote_address,
            .bytes_in = ctx.request.body.size(),
            .bytes_out = bytes_out,
        }));
    } catch (const std::exception& e) {
        spdlog::error("recording request {} failed: {}", ctx.request_id, e.what());
    }
}

Response Dispatcher::dispatch(Request request) const {
    RequestContext ctx;
    ctx.request = std::move(request);
    start(ctx);
    auto decision = route(ctx);
    Response response;
    if (ctx.request.body.size() > decision.max_body_bytes) {
        response = error_response(
            413, error_code::payload_too_large,
            fmt::format("the request body exceeds {} bytes", decision.max_body_bytes));
    } else if (decision.immediate) {
        response = std::move(*decision.immediate);
    } else {
        response = handle(ctx);
    }
    finish(ctx, response);
    complete(ctx, response.status, response.body.size());
    return response;
}

}  // namespace edgesync::server
