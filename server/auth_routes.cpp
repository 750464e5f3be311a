#include "server/auth_routes.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "server/json_fields.hpp"
#include "server/request_parsing.hpp"
#include "server/response.hpp"
#include "shared/services/auth_service.hpp"
#include "shared/services/session_service.hpp"
#include "shared/util/time.hpp"
#include "shared/util/uuid.hpp"

namespace edgesync::server {

namespace {

using nlohmann::json;

ClientInfo client_of(const RequestContext& ctx) {
    // The socket's peer: X-Forwarded-For is not trusted (no proxy is configured).
    return {ctx.request.remote_address,
            std::string(ctx.request.headers.get("User-Agent").value_or(""))};
}

Response tokens_response(const AuthTokens& t) {
    return json_response(200, {{"access_token", t.access_token},
                               {"expires_at", format_rfc3339(t.access_expires_at)},
                               {"refresh_token", t.refresh_token},
                               {"refresh_expires_at", format_rfc3339(t.refresh_expires_at)},
                               {"account_id", t.account_id},
                               {"device_id", t.device_id},
                               {"session_id", t.session_id}});
}

Principal principal_of(const RequestContext& ctx) {
    return {*ctx.account_id, *ctx.device_id, *ctx.session_id};
}

Response handle_register(AuthService& auth, RequestContext& ctx) {
    auto body = object_body(ctx);
    if (!body) return body.error();
    auto email = string_field(*body, "email");
    if (!email) return email.error();
    auto password = string_field(*body, "password");
    if (!password) return password.error();
    auto account = auth.register_account(*email, *password);
    if (!account) return service_error_response(account.error());
    return json_response(201, {{"account_id", account->id}, {"email", account->email}});
}

// The optional `device` object of a login.
std::expected<std::optional<NewDeviceSpec>, Response> device_spec(const json& body) {
    const auto it = body.find("device");
    if (it == body.end()) return std::nullopt;
    if (!it->is_object())
        return std::unexpected(
            error_response(400, error_code::invalid_request, "'device' must be an object"));
    NewDeviceSpec spec;
    auto name = string_field(*it, "name");
    if (!name) return std::unexpected(name.error());
    spec.name = std::move(*name);
    auto type = string_field(*it, "device_type");
    if (!type) return std::unexpected(type.error());
    const auto parsed = parse_device_type(*type);
    if (!parsed)
        return std::unexpected(
            error_response(400, error_code::invalid_request, "unknown 'device_type'"));
    spec.device_type = *parsed;
    auto key = string_field(*it, "public_key");
    if (!key) return std::unexpected(key.error());
    if (!base64_decode(*key, spec.public_key))
        return std::unexpected(
            error_response(400, error_code::invalid_request, "'public_key' must be base64"));
    return spec;
}

Response handle_login(AuthService& auth, RequestContext& ctx) {
    auto body = object_body(ctx);
    if (!body) return body.error();
    LoginRequest request;
    auto email = string_field(*body, "email");
    if (!email) return email.error();
    auto password = string_field(*body, "password");
    if (!password) return password.error();
    request.email = std::move(*email);
    request.password = std::move(*password);
    request.client = client_of(ctx);
    if (body->contains("device_id")) {
        auto id = string_field(*body, "device_id");
        if (!id) return id.error();
        if (!is_uuid(*id))
            return error_response(400, error_code::invalid_uuid, "'device_id' must be a UUID");
        request.device_id = std::move(*id);
    }
    auto device = device_spec(*body);
    if (!device) return device.error();
    request.new_device = std::move(*device);
    auto tokens = auth.login(request);
    if (!tokens) return service_error_response(tokens.error());
    return tokens_response(*tokens);
}

Response handle_refresh(AuthService& auth, RequestContext& ctx) {
    auto body = object_body(ctx);
    if (!body) return body.error();
    auto token = string_field(*body, "refresh_token");
    if (!token) return token.error();
    auto tokens = auth.refresh(*token, client_of(ctx));
    if (!tokens) return service_error_response(tokens.error());
    return tokens_response(*tokens);
}

json session_json(const Session& s, const std::string& current) {
    // Never the refresh hash, IP or user agent: only what a client needs to choose.
    return {{"id", s.id},
            {"device_id", s.device_id},
            {"created_at", format_rfc3339(s.created_at)},
            {"expires_at", format_rfc3339(s.expires_at)},
            {"last_used_at", format_rfc3339(s.last_used_at)},
            {"current", s.id == current}};
}

}  // namespace

Response invalid_token(std::string_view message) {
    auto r = error_response(401, "invalid_token", message);
    r.headers.set("WWW-Authenticate", "Bearer");
    return r;
}

std::expected<std::string_view, Response> bearer_token(const RequestContext& ctx) {
    const auto header = ctx.request.headers.get("Authorization");
    if (!header) return std::unexpected(invalid_token("an access token is required"));
    constexpr std::string_view prefix = "Bearer ";
    if (header->size() <= prefix.size() || !iequals(header->substr(0, prefix.size()), prefix))
        return std::unexpected(
            invalid_token("the Authorization header must be 'Bearer <access token>'"));
    return header->substr(prefix.size());
}

Hook make_auth_hook(AuthService& auth) {
    return [&auth](RequestContext& ctx) -> std::optional<Response> {
        if (ctx.route == nullptr || !ctx.route->options.auth) return std::nullopt;
        const auto token = bearer_token(ctx);
        if (!token) return token.error();
        auto principal = auth.authenticate(*token);
        if (!principal) return invalid_token(principal.error().message);
        ctx.account_id = principal->account_id;
        ctx.device_id = principal->device_id;
        ctx.session_id = principal->session_id;
        return std::nullopt;
    };
}

void add_auth_routes(Router& router, AuthService& auth, SessionService& sessions) {
    const RouteOptions open{.blocking = true, .max_body_bytes = 64 * 1024};
    const RouteOptions authed{.blocking = true, .max_body_bytes = 64 * 1024, .auth = true};
    router.add(
        "POST", "/v1/auth/register",
        [&auth](RequestContext& ctx) { return handle_register(auth, ctx); }, open);
    router.add(
        "POST", "/v1/auth/login", [&auth](RequestContext& ctx) { return handle_login(auth, ctx); },
        open);
    router.add(
        "POST", "/v1/auth/refresh",
        [&auth](RequestContext& ctx) { return handle_refresh(auth, ctx); }, open);
    router.add(
        "POST", "/v1/auth/logout",
        [&auth](RequestContext& ctx) {
            (void)auth.logout(principal_of(ctx));
            return no_content();
        },
        authed);
    router.add(
        "GET", "/v1/sessions",
        [&sessions](RequestContext& ctx) {
            json list = json::array();
            for (const auto& s : sessions.list(*ctx.account_id))
                list.push_back(session_json(s, *ctx.session_id));
            return json_response(200, {{"sessions", std::move(list)}});
        },
        authed);
    router.add(
        "DELETE", "/v1/sessions",
        [&sessions](RequestContext& ctx) {
            std::size_t revoked = 0;
            for (const auto& s : sessions.list(*ctx.account_id))
                if (s.id != *ctx.session_id && sessions.revoke(*ctx.account_id, s.id)) ++revoked;
            return json_response(200, {{"revoked", revoked}});
        },
        authed);
    router.add(
        "DELETE", "/v1/sessions/{sid}",
        [&sessions](RequestContext& ctx) {
            auto sid = uuid_param(ctx, "sid");
            if (!sid) return sid.error();
            auto done = sessions.revoke(*ctx.account_id, *sid);
            if (!done) return service_error_response(done.error());
            return no_content();
        },
        authed);
}

}  // namespace edgesync::server
