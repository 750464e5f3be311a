#pragma once

#include <string>

#include "server/router.hpp"

namespace edgesync {
class DeviceRepository;
class PresenceRepository;
class Publisher;
}  // namespace edgesync

namespace edgesync::server {

struct PresenceRoutesDeps {
    DeviceRepository& devices;
    PresenceRepository& presence;
    Publisher& publisher;  // PresenceChange on es:account:{aid}
    // Stored in each presence document ("server"); empty = this host's name.
    std::string server_name;
};

// POST /v1/presence/heartbeat  (auth) {status?: "online"|"away"}, empty body allowed
//     -> 200 {"status","last_seen","ttl_seconds"}. Sets es:{aid}:presence:{did}
//     (TTL k_presence_ttl), touches devices.last_seen_at (at most about once a
//     minute per device) and, when the status changed (absent or different),
//     publishes a PresenceChange. Publish failures are logged, never answered.
// GET  /v1/presence            (auth) -> {"devices":[{"device_id","status","last_seen"}]}:
//     the account's unrevoked devices that are online or away, by device id.
// Both blocking. The dependencies must outlive the router.
void add_presence_routes(Router& router, PresenceRoutesDeps deps);

// A device went away (e.g. its WebSocket closed): removes its presence key
// and, when it had one, publishes PresenceChange "offline" on the account's
// channel. Returns whether it had one. Blocking (Redis); a publish failure is
// logged, not thrown; a Redis failure removing the key throws as the
// repository does.
bool mark_offline(PresenceRepository& presence, Publisher& publisher, const std::string& account_id,
                  const std::string& device_id);

}  // namespace edgesync::server
