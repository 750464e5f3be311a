#include "server/presence_routes.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "server/json_fields.hpp"
#include "server/response.hpp"
#include "shared/models/presence.hpp"
#include "shared/repositories/device_repository.hpp"
#include "shared/repositories/presence_repository.hpp"
#include "shared/services/live_message.hpp"
#include "shared/util/time.hpp"

namespace edgesync::server {

namespace {

using nlohmann::json;

// Touching devices.last_seen_at on every beat (every 20 s per agent) would be
// a Postgres write per beat; once per minute is enough for a "last seen" column.
constexpr std::chrono::seconds k_last_seen_granularity{60};

std::string host_name() {
    std::array<char, 256> buffer{};
    if (::gethostname(buffer.data(), buffer.size() - 1) != 0) return "edgesync-server";
    return buffer.data();
}

// Never fails the request: the presence key is already set, and a WebSocket
// client that misses the change sees the device at its next listing.
void publish_change(Publisher& publisher, const std::string& account_id, PresenceChange change) {
    try {
        publish_live(publisher, account_id, change);
    } catch (const std::exception& e) {
        spdlog::warn("presence: publishing {} of device {} failed: {}", change.status,
                     change.device_id, e.what());
    }
}

bool same_minute(Timestamp a, Timestamp b) {
    using std::chrono::floor;
    return floor<std::chrono::minutes>(a) == floor<std::chrono::minutes>(b);
}

Response heartbeat(const PresenceRoutesDeps& deps, RequestContext& ctx) {
    auto body = optional_object_body(ctx);
    if (!body) return body.error();
    std::string status = "online";
    if (body->contains("status")) {
        auto s = string_field(*body, "status");
        if (!s) return s.error();
        if (*s != "online" && *s != "away")
            return error_response(400, error_code::invalid_request,
                                  "'status' must be \"online\" or \"away\"");
        status = std::move(*s);
    }
    const auto& account = *ctx.account_id;
    const auto& device = *ctx.device_id;
    const auto previous = deps.presence.get_many(account, {device}).front();
    const Presence current{device, status, now(), deps.server_name};
    deps.presence.set(account, current, k_presence_ttl);
    static_assert(k_presence_ttl >= k_last_seen_granularity);
    if (!previous || !same_minute(previous->last_seen, current.last_seen))
        deps.devices.touch_last_seen(account, device, current.last_seen);
    if (!previous || previous->status != status)
        publish_change(deps.publisher, account, {device, status, current.last_seen});
    return json_response(200, {{"status", status},
                               {"last_seen", format_rfc3339(current.last_seen)},
                               {"ttl_seconds", k_presence_ttl.count()}});
}

Response list_presence(const PresenceRoutesDeps& deps, RequestContext& ctx) {
    // The account's devices from Postgres and one MGET, not a SCAN of the
    // keyspace (PresenceRepository::list's cost on a single Redis).
    const auto& account = *ctx.account_id;
    std::vector<std::string> ids;
    for (const auto& d : deps.devices.list(account, /*include_revoked=*/false)) ids.push_back(d.id);
    std::sort(ids.begin(), ids.end());
    const auto found = deps.presence.get_many(account, ids);
    json list = json::array();
    for (const auto& p : found)
        if (p)
            list.push_back({{"device_id", p->device_id},
                            {"status", p->status},
                            {"last_seen", format_rfc3339(p->last_seen)}});
    return json_response(200, {{"devices", std::move(list)}});
}

}  // namespace

void add_presence_routes(Router& router, PresenceRoutesDeps deps) {
    if (deps.server_name.empty()) deps.server_name = host_name();
    const RouteOptions authed{.blocking = true, .max_body_bytes = 4 * 1024, .auth = true};
    router.add(
        "POST", "/v1/presence/heartbeat",
        [deps](RequestContext& ctx) { return heartbeat(deps, ctx); }, authed);
    router.add(
        "GET", "/v1/presence", [deps](RequestContext& ctx) { return list_presence(deps, ctx); },
        authed);
}

bool mark_offline(PresenceRepository& presence, Publisher& publisher, const std::string& account_id,
                  const std::string& device_id) {
    const auto previous = presence.get_many(account_id, {device_id}).front();
    presence.remove(account_id, device_id);
    if (!previous) return false;
    publish_change(publisher, account_id, {device_id, "offline", now()});
    return true;
}

}  // namespace edgesync::server
