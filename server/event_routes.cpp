#include "server/event_routes.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <charconv>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>

#include "server/event_feed.hpp"
#include "server/event_json.hpp"
#include "server/live_hub.hpp"
#include "server/request_parsing.hpp"
#include "server/response.hpp"
#include "server/server_config.hpp"
#include "server/sse_session.hpp"
#include "server/stream_handoff.hpp"
#include "server/websocket_session.hpp"
#include "server/worker_pool.hpp"
#include "shared/repositories/event_repository.hpp"
#include "shared/services/auth_service.hpp"

namespace edgesync::server {

namespace {

using nlohmann::json;

constexpr std::int64_t k_max_seq = std::numeric_limits<std::int64_t>::max();
constexpr std::size_t k_stream_page = 500;             // events per catch-up read
constexpr std::size_t k_stream_queue_bytes = 1 << 20;  // then a client is too slow

Response invalid_token(std::string_view message) {
    auto r = error_response(401, "invalid_token", message);
    r.headers.set("WWW-Authenticate", "Bearer");
    return r;
}

LiveScope scope_of(const RequestContext& ctx) {
    return {*ctx.account_id, *ctx.device_id, *ctx.session_id};
}

// Events after `after`, at most `limit`, with `more` when the log goes on.
Response page_response(std::vector<SyncEvent> page, std::int64_t after, std::size_t limit) {
    const bool more = page.size() > limit;
    if (more) page.resize(limit);
    json events = json::array();
    for (const auto& e : page) events.push_back(event_json(e));
    const auto next = page.empty() ? after : page.back().sequence_number;
    return json_response(200, {{"events", std::move(events)}, {"next", next}, {"more", more}});
}

// A long poll on GET /v1/events: waits on the hub, never on a thread. Hub
// callbacks and worker jobs may race; `complete` is taken once under the lock.
class LongPoll final : public DeferredResponse,
                       public LiveSink,
                       public std::enable_shared_from_this<LongPoll> {
  public:
    LongPoll(EventDeps deps, LiveScope scope, std::int64_t after, std::size_t limit,
             std::chrono::milliseconds wait)
        : m_deps(deps), m_scope(std::move(scope)), m_after(after), m_limit(limit), m_wait(wait) {}

    std::chrono::milliseconds wait() const override { return m_wait; }

    void start(Complete complete) override {
        {
            std::lock_guard lock(m_mutex);
            m_complete = std::move(complete);
        }
        m_subscription = m_deps.hub.subscribe(m_scope, weak_from_this());
        read();  // an event committed before the subscription is found here
    }

    Response on_timeout() override { return page_response({}, m_after, m_limit); }

    void cancel() noexcept override {
        {
            std::lock_guard lock(m_mutex);
            m_complete = nullptr;
        }
        m_subscription.reset();
    }

    void on_event(const LiveEvent& e) override {
        if (e.seq > m_after) read();
    }
    void on_presence(const PresenceChange&) override {}
    void on_resync() override { read(); }
    void on_revoked() override { finish(invalid_token("the session's access was revoked")); }

  private:
    // One read at a time; a request during it reads again afterwards.
    void read() {
        if (m_reading.exchange(true)) {
            m_again = true;
            return;
        }
        const bool queued = m_deps.workers.try_submit([self = shared_from_this()] {
            for (;;) {
                self->m_again = false;
                try {
                    auto page = self->m_deps.events.list(self->m_scope.account_id, self->m_after,
                                                         self->m_limit + 1);
                    if (!page.empty())
                        return self->finish(
                            page_response(std::move(page), self->m_after, self->m_limit));
                } catch (const std::exception& e) {
                    spdlog::warn("long poll: reading events failed: {}", e.what());
                    return self->finish(error_response(503, error_code::unavailable,
                                                       "the database is unavailable"));
                }
                self->m_reading = false;
                if (!self->m_again || self->m_reading.exchange(true)) return;
            }
        });
        if (!queued) m_reading = false;  // the pool is full: the next hint or the timeout answers
    }

    void finish(Response response) {
        Complete complete;
        {
            std::lock_guard lock(m_mutex);
            complete = std::move(m_complete);
            m_complete = nullptr;
        }
        if (complete) complete(std::move(response));
    }

    EventDeps m_deps;
    LiveScope m_scope;
    const std::int64_t m_after;
    const std::size_t m_limit;
    const std::chrono::milliseconds m_wait;
    std::mutex m_mutex;
    Complete m_complete;                   // guarded; empty once answered or cancelled
    LiveHub::Subscription m_subscription;  // the connection's strand only
    std::atomic<bool> m_reading{false};
    std::atomic<bool> m_again{false};
};

// The stream seam: the connection is handed to an SSE or WebSocket session.
class LiveUpgrade final : public StreamUpgrade {
  public:
    enum class Kind { sse, websocket };
    LiveUpgrade(Kind kind, LiveStreamOptions options)
        : m_kind(kind), m_options(std::move(options)) {}

    void start(StreamHandoff handoff) override {
        if (m_kind == Kind::sse)
            start_sse_session(std::move(handoff), m_options);
        else
            start_websocket_session(std::move(handoff), m_options);
    }

  private:
    Kind m_kind;
    LiveStreamOptions m_options;
};

LiveStreamOptions stream_options(const EventDeps& deps, LiveScope scope, std::int64_t after) {
    return {.hub = deps.hub,
            .events = deps.events,
            .workers = deps.workers,
            .scope = std::move(scope),
            .after = after,
            .heartbeat = deps.config.stream_heartbeat,
            .write_timeout = deps.config.http.write_timeout,
            .page_size = k_stream_page,
            .max_queue_bytes = k_stream_queue_bytes};
}

Response handle_page(const EventDeps& deps, RequestContext& ctx) {
    const auto after = query_int(ctx, "after", 0, 0, k_max_seq);
    if (!after) return after.error();
    const auto max_items = static_cast<std::int64_t>(deps.config.limits.max_page_items);
    const auto limit = query_int(
        ctx, "limit", std::min<std::int64_t>(k_default_event_page, max_items), 1, max_items);
    if (!limit) return limit.error();
    const auto wait = query_int(ctx, "wait", 0, 0, deps.config.limits.max_wait.count());
    if (!wait) return wait.error();

    const auto n = static_cast<std::size_t>(*limit);
    auto page = deps.events.list(*ctx.account_id, *after, n + 1);
    if (!page.empty() || *wait == 0) return page_response(std::move(page), *after, n);
    Response r;
    r.deferred =
        std::make_shared<LongPoll>(deps, scope_of(ctx), *after, n, std::chrono::seconds(*wait));
    return r;
}

Response handle_stream(const EventDeps& deps, RequestContext& ctx) {
    std::int64_t after = 0;
    if (const auto last = ctx.request.headers.get("Last-Event-ID")) {
        const auto* end = last->data() + last->size();
        const auto [ptr, ec] = std::from_chars(last->data(), end, after);
        if (ec != std::errc{} || ptr != end || after < 0)
            return error_response(400, error_code::invalid_request,
                                  "Last-Event-ID must be an event seq");
    } else {
        const auto q = query_int(ctx, "after", 0, 0, k_max_seq);
        if (!q) return q.error();
        after = *q;
    }
    Response r;
    r.upgrade = std::make_shared<LiveUpgrade>(LiveUpgrade::Kind::sse,
                                              stream_options(deps, scope_of(ctx), after));
    return r;
}

bool header_has_token(const Request& req, std::string_view name, std::string_view token) {
    const auto value = req.headers.get(name);
    if (!value) return false;
    std::string_view rest = *value;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        auto item = rest.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
            item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (iequals(item, token)) return true;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    return false;
}

Response handle_websocket(const EventDeps& deps, RequestContext& ctx) {
    // Browsers cannot set headers on a WebSocket: the token may come in the
    // query. Neither is ever logged (the access log has the route template).
    std::optional<std::string> token;
    constexpr std::string_view prefix = "Bearer ";
    if (const auto header = ctx.request.headers.get("Authorization")) {
        if (header->size() <= prefix.size() || !iequals(header->substr(0, prefix.size()), prefix))
            return invalid_token("the Authorization header must be 'Bearer <access token>'");
        token = std::string(header->substr(prefix.size()));
    } else {
        token = ctx.query("access_token");
    }
    if (!token || token->empty()) return invalid_token("an access token is required");
    auto principal = deps.auth.authenticate(*token);
    if (!principal) return invalid_token(principal.error().message);
    ctx.account_id = principal->account_id;
    ctx.device_id = principal->device_id;
    ctx.session_id = principal->session_id;

    if (!header_has_token(ctx.request, "Upgrade", "websocket") ||
        !header_has_token(ctx.request, "Connection", "upgrade"))
        return error_response(400, error_code::invalid_request,
                              "GET /v1/ws needs a WebSocket upgrade request");
    const auto latest = deps.events.latest_seq(*ctx.account_id);
    Response r;
    r.status = 101;
    r.upgrade = std::make_shared<LiveUpgrade>(LiveUpgrade::Kind::websocket,
                                              stream_options(deps, scope_of(ctx), latest));
    return r;
}

}  // namespace

void add_event_routes(Router& router, EventDeps deps) {
    const RouteOptions authed{.blocking = true, .max_body_bytes = 0, .auth = true};
    router.add(
        "GET", "/v1/events", [deps](RequestContext& ctx) { return handle_page(deps, ctx); },
        authed);
    router.add(
        "GET", "/v1/events/stream",
        [deps](RequestContext& ctx) { return handle_stream(deps, ctx); }, authed);
    router.add("GET", "/v1/ws", [deps](RequestContext& ctx) { return handle_websocket(deps, ctx); },
               {.blocking = true, .max_body_bytes = 0});
}

}  // namespace edgesync::server
