#include "server/device_routes.hpp"

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "server/json_fields.hpp"
#include "server/presence_routes.hpp"
#include "server/request_parsing.hpp"
#include "server/response.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/models/presence.hpp"
#include "shared/repositories/device_repository.hpp"
#include "shared/repositories/presence_repository.hpp"
#include "shared/services/device_service.hpp"
#include "shared/services/validation.hpp"
#include "shared/util/time.hpp"

namespace edgesync::server {

namespace {

using nlohmann::json;

struct Context {
    DeviceRoutesDeps deps;
    DeviceService service;
};

json optional_time(const std::optional<Timestamp>& t) {
    return t ? json(format_rfc3339(*t)) : json(nullptr);
}

json device_json(const Device& d, const std::string& caller, const std::optional<Presence>& p) {
    // Never the wrapped key itself: GET /v1/keys/device hands it to its owner only.
    return {
        {"id", d.id},
        {"name", d.name},
        {"device_type", to_string(d.device_type)},
        {"public_key", d.public_key.empty() ? json(nullptr) : json(base64_encode(d.public_key))},
        {"has_wrapped_key", d.wrapped_account_key.has_value()},
        {"key_version", d.key_version},
        {"created_at", format_rfc3339(d.created_at)},
        {"last_seen_at", optional_time(d.last_seen_at)},
        {"revoked_at", optional_time(d.revoked_at)},
        {"current", d.id == caller},
        {"presence",
         {{"status", p ? p->status : "offline"},
          {"last_seen", p ? json(format_rfc3339(p->last_seen)) : json(nullptr)}}}};
}

std::optional<Presence> presence_of(Context& c, const std::string& account, const Device& d) {
    if (d.revoked()) return std::nullopt;
    return c.deps.presence.get_many(account, {d.id}).front();
}

Response create_device(Context& c, RequestContext& ctx) {
    auto body = object_body(ctx);
    if (!body) return body.error();
    auto name = string_field(*body, "name");
    if (!name) return name.error();
    if (auto valid = validate_device_name(*name); !valid)
        return service_error_response(valid.error());
    auto type_text = string_field(*body, "device_type");
    if (!type_text) return type_text.error();
    const auto type = parse_device_type(*type_text);
    if (!type)
        return error_response(
            400, error_code::invalid_request,
            "'device_type' must be one of mobile, desktop, browser, server, agent");
    auto key = base64_field(*body, "public_key", crypto::k_box_public_key_bytes,
                            crypto::k_box_public_key_bytes);
    if (!key) return key.error();
    auto created = c.deps.devices.create({*ctx.account_id, *name, *type, std::move(*key)});
    if (!created) return error_response(404, error_code::not_found, "no such account");
    auto r = json_response(201, device_json(*created, *ctx.device_id, std::nullopt));
    r.headers.set("Location", "/v1/devices/" + created->id);
    return r;
}

Response list_devices(Context& c, RequestContext& ctx) {
    const auto& account = *ctx.account_id;
    const auto devices = c.service.list(account);
    std::vector<std::string> ids;
    ids.reserve(devices.size());
    for (const auto& d : devices) ids.push_back(d.id);
    const auto presence = c.deps.presence.get_many(account, ids);
    json list = json::array();
    for (std::size_t i = 0; i < devices.size(); ++i)
        list.push_back(device_json(devices[i], *ctx.device_id,
                                   devices[i].revoked() ? std::nullopt : presence[i]));
    return json_response(200, {{"devices", std::move(list)}});
}

Response rename_device(Context& c, RequestContext& ctx) {
    auto id = uuid_param(ctx, "id");
    if (!id) return id.error();
    auto body = object_body(ctx);
    if (!body) return body.error();
    auto name = string_field(*body, "name");
    if (!name) return name.error();
    auto renamed = c.service.rename(*ctx.account_id, *id, *name);
    if (!renamed) return service_error_response(renamed.error());
    return json_response(
        200, device_json(*renamed, *ctx.device_id, presence_of(c, *ctx.account_id, *renamed)));
}

Response revoke_device(Context& c, RequestContext& ctx) {
    auto id = uuid_param(ctx, "id");
    if (!id) return id.error();
    auto revoked = c.service.revoke(*ctx.account_id, *id);
    if (!revoked) return service_error_response(revoked.error());
    (void)mark_offline(c.deps.presence, c.deps.publisher, *ctx.account_id, *id);
    return no_content();
}

}  // namespace

void add_device_routes(Router& router, DeviceRoutesDeps deps) {
    auto c = std::make_shared<Context>(
        Context{deps, DeviceService(deps.accounts, deps.devices, deps.sessions, deps.publisher)});
    const RouteOptions authed{.blocking = true, .max_body_bytes = 16 * 1024, .auth = true};
    router.add(
        "POST", "/v1/devices", [c](RequestContext& ctx) { return create_device(*c, ctx); }, authed);
    router.add(
        "GET", "/v1/devices", [c](RequestContext& ctx) { return list_devices(*c, ctx); }, authed);
    router.add(
        "PATCH", "/v1/devices/{id}", [c](RequestContext& ctx) { return rename_device(*c, ctx); },
        authed);
    router.add(
        "DELETE", "/v1/devices/{id}", [c](RequestContext& ctx) { return revoke_device(*c, ctx); },
        authed);
}

}  // namespace edgesync::server
