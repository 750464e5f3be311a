#pragma once

#include "server/router.hpp"

namespace edgesync {
class AccountRepository;
class DeviceRepository;
}  // namespace edgesync

namespace edgesync::server {

struct KeyRoutesDeps {
    AccountRepository& accounts;  // account_keys: the recovery blob
    DeviceRepository& devices;    // devices.wrapped_account_key
};

// Wrapped account keys (DESIGN: end-to-end crypto). The server stores
// ciphertext it cannot check; it checks who may write it. A device "holds the
// key" when its row has a wrapped key. Binary members are standard base64.
// All auth + blocking, scoped to the caller's account (another account's
// device id is 404 not_found).
//
// GET /v1/keys/device -> 200 {"device_id","wrapped_key","key_version"}, the
//     caller's device's; 404 key_not_found when it holds none.
// PUT /v1/keys/devices/{id} {wrapped_key, key_version} -> 200 {"device_id","key_version"}
//     Another device (approval): the caller must hold the key (403 forbidden)
//     and seal that version (409 conflict otherwise); the target must be an
//     unrevoked device of the account (404 / 403 revoked) with a public key
//     (409 conflict). The caller's own id: only while no unrevoked device of
//     the account holds the key, or the caller holds it (first device, or
//     every key holder lost; 403 forbidden otherwise). wrapped_key 48..1024
//     bytes (a sealed 32-byte key is 80), key_version 1..2^31-1.
// GET /v1/keys/recovery -> 200 {"salt","opslimit","memlimit","nonce","wrapped_key",
//     "key_version","created_at","updated_at"} with ETag "key_version";
//     404 key_not_found.
// PUT /v1/keys/recovery {salt, opslimit, memlimit, nonce, wrapped_key, key_version}
//     If-None-Match: * creates (201), If-Match: "V" replaces while the stored
//     key_version is V (200); neither 428 precondition_required, a mismatch
//     412 precondition_failed with the current ETag. Sizes and Argon2id
//     limits as crypto::wrap_with_passphrase makes them (else 400). Same
//     writer rule as the own-key write above (403 forbidden).
void add_key_routes(Router& router, KeyRoutesDeps deps);

}  // namespace edgesync::server
