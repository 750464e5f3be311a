#pragma once

#include "server/router.hpp"

namespace edgesync {
class AccountRepository;
class DeviceRepository;
class SessionRepository;
class PresenceRepository;
class Publisher;
}  // namespace edgesync

namespace edgesync::server {

// What the device routes use; everything must outlive the router. The routes
// build their own DeviceService (the revoke rule) over these.
struct DeviceRoutesDeps {
    AccountRepository& accounts;
    DeviceRepository& devices;
    SessionRepository& sessions;
    PresenceRepository& presence;
    Publisher& publisher;  // revocation notices, presence "offline"
};

// All auth + blocking, scoped to the caller's account: another account's
// device id is 404 not_found, exactly like an unknown one.
//
// A device is {"id","name","device_type","public_key" (base64 or null),
//   "has_wrapped_key","key_version","created_at","last_seen_at","revoked_at",
//   "current","presence":{"status":"online"|"away"|"offline","last_seen"}}
// (times RFC 3339 or null; `current` = the caller's own device).
//
// POST   /v1/devices       {name, device_type, public_key} -> 201 device
// GET    /v1/devices       -> 200 {"devices":[device...]}, revoked ones too, oldest first
// PATCH  /v1/devices/{id}  {name} -> 200 device
// DELETE /v1/devices/{id}  -> 204: DeviceService::revoke (sessions ended,
//                          es:revocations notice, wrapped key cleared), then
//                          its presence is removed ("offline" published).
//                          The caller's own device may be revoked: its token
//                          stops working at once.
void add_device_routes(Router& router, DeviceRoutesDeps deps);

}  // namespace edgesync::server
