#pragma once

#include <expected>
#include <memory>

#include "server/router.hpp"
#include "server/server_config.hpp"
#include "shared/repositories/state_repository.hpp"
#include "shared/services/live_message.hpp"

namespace edgesync {
class Publisher;
class StateRepository;
}  // namespace edgesync

namespace edgesync::server {

struct StateRoutesDeps {
    std::shared_ptr<StateRepository> states;
    Publisher& publisher;  // live events after each commit (best effort)
    const ProductLimits& limits;
};

// The encrypted states of the caller's account (docs/server.md, "States").
// All routes are blocking and authenticated; every read and write is scoped to
// ctx.account_id (another account's key does not exist: 404) and writes are
// attributed to ctx.device_id.
//
//   GET    /v1/states?after=SEQ&limit=N  changes feed, tombstones included
//   GET    /v1/states/{key}              one state; ETag, If-None-Match -> 304
//   PUT    /v1/states/{key}              If-None-Match: * | If-Match: "V"
//   DELETE /v1/states/{key}              tombstone; If-Match: "V"
//   POST   /v1/states:batch              many writes, one transaction
//
// After a commit every written event is published on es:account:{aid}
// (live_message.hpp); a failed publish is logged and never fails the request.
void add_state_routes(Router& router, StateRoutesDeps deps);

// PUT /v1/states/{key} around its I/O, shared by the blocking handler and the
// non-blocking path (async_state_put.hpp), so both answer alike.
//
// The write the request asks for (ctx is authenticated), or its error
// response: 400 invalid_key / invalid_request, 415, 428, 413.
[[nodiscard]] std::expected<StateWrite, Response> put_request(const RequestContext& ctx,
                                                              const ProductLimits& limits);
// 200/201 with ETag and {version, seq}, or the rejection's 412/404/413/403.
[[nodiscard]] Response put_response(const StateWrite& write,
                                    const std::expected<WriteResult, WriteRejection>& done);
// The live event of a committed PUT.
[[nodiscard]] LiveMessage put_event(const StateWrite& write, const WriteResult& result,
                                    Timestamp at);

}  // namespace edgesync::server
