#pragma once

#include <expected>
#include <string_view>

#include "server/dispatcher.hpp"
#include "server/router.hpp"

namespace edgesync {
class AuthService;
class SessionService;
}  // namespace edgesync

namespace edgesync::server {

// For routes with RouteOptions::auth: `Authorization: Bearer <jwt>` ->
// AuthService::authenticate (verifies the token and that its session is still
// in Redis) -> ctx.account_id / device_id / session_id. Missing or refused:
// 401 {"error":{"code":"invalid_token",...}} with `WWW-Authenticate: Bearer`.
// Tokens are never logged nor echoed. Runs on the route's thread, so auth
// routes must be blocking (add_auth_routes' are).
[[nodiscard]] Hook make_auth_hook(AuthService& auth);

// The hook's parts, for a non-blocking route that authenticates itself
// (async_state_put.hpp): the token of `Authorization: Bearer <token>` (a view
// into ctx's headers), or the 401 to answer; and that 401 for a message.
[[nodiscard]] std::expected<std::string_view, Response> bearer_token(const RequestContext& ctx);
[[nodiscard]] Response invalid_token(std::string_view message);

// POST   /v1/auth/register   {email,password} -> 201 {account_id,email}
// POST   /v1/auth/login      {email,password,device_id? | device:{name,device_type,public_key}}
//                            -> 200 tokens
// POST   /v1/auth/refresh    {refresh_token} -> 200 tokens
// POST   /v1/auth/logout     (auth) -> 204
// GET    /v1/sessions        (auth) -> {"sessions":[...]}
// DELETE /v1/sessions        (auth) -> {"revoked":n}, every session but the current one
// DELETE /v1/sessions/{sid}  (auth) -> 204; 404 for another account's session
// All blocking. Service errors: to_http_status + to_string code (429 with
// Retry-After). The services must outlive the router.
void add_auth_routes(Router& router, AuthService& auth, SessionService& sessions);

}  // namespace edgesync::server
