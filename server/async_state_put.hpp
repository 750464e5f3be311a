#pragma once

#include "server/async_pg.hpp"
#include "server/async_redis.hpp"
#include "server/dispatcher.hpp"
#include "server/server_config.hpp"

namespace edgesync {
class AuthService;
}  // namespace edgesync

namespace edgesync::server {

struct AsyncStatePutDeps {
    AuthService& auth;  // token verification only (no I/O)
    AsyncRedis& redis;  // the session GET and the live PUBLISH
    AsyncPgPool& pg;    // es_write_state; prepared with async_state_put_statement()
    const ProductLimits& limits;
};

// The statement the pool must prepare for make_async_state_put.
[[nodiscard]] AsyncPgPool::Statement async_state_put_statement();

// PUT /v1/states/{key} without a worker hand-off: on the I/O threads, the
// access token is verified, the live session read with one pipelined Redis
// GET, the write made with one non-blocking es_write_state, and the live
// event published (PUBLISH on the same Redis connection) before the answer.
// Same answers as the blocking route (state_routes.hpp's put_request /
// put_response), the auth hook's 401s, and the dispatcher's mapping of
// failures (Redis or Postgres down: 503 unavailable; no Postgres connection
// free in time: 503 overloaded). A failed publish is logged, as there.
[[nodiscard]] AsyncHandler make_async_state_put(AsyncStatePutDeps deps);

}  // namespace edgesync::server
