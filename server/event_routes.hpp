#pragma once

#include <chrono>
#include <cstddef>

#include "server/router.hpp"

namespace edgesync {
class AuthService;
class EventRepository;
}  // namespace edgesync

namespace edgesync::server {

class LiveHub;
class WorkerPool;
struct ServerConfig;

// Everything the event routes use; all owned by App and outliving the router
// and every stream.
struct EventDeps {
    const ServerConfig& config;  // limits.max_page_items, limits.max_wait, stream_heartbeat
    EventRepository& events;
    LiveHub& hub;
    WorkerPool& workers;
    AuthService& auth;  // /v1/ws authenticates itself (?access_token=)
};

// GET /v1/events?after=SEQ&limit=N&wait=S  (auth)
//     {"events":[event_json...],"next":N,"more":bool}; an empty page with
//     wait > 0 (at most MAX_WAIT) is a long poll: answered as soon as an
//     event after `after` is committed, else empty after `wait`; 401
//     invalid_token when the session's access is revoked meanwhile.
// GET /v1/events/stream?after=SEQ  (auth; Last-Event-ID overrides after)
//     Server-Sent Events (sse_session.hpp).
// GET /v1/ws  (auth: Bearer header or ?access_token=)
//     WebSocket (websocket_session.hpp), live from the account's current seq.
// All blocking: authentication and the first reads run on the worker pool.
void add_event_routes(Router& router, EventDeps deps);

// The page-size default of GET /v1/events when `limit` is absent.
inline constexpr std::size_t k_default_event_page = 100;

}  // namespace edgesync::server
