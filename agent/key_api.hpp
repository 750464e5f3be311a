#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/api_client.hpp"
#include "shared/crypto/recovery.hpp"
#include "shared/util/bytes.hpp"

// The device and key routes as enroll and approve use them (docs/server.md,
// Devices and Keys): typed answers over ApiClient. Everything here is
// ciphertext or public; the caller seals and opens.
namespace edgesync::agent {

struct DeviceInfo {
    std::string id;
    std::string name;
    std::string device_type;
    Bytes public_key;  // empty for a device without one (a browser)
    bool has_wrapped_key = false;
    std::int32_t key_version = 0;
    bool revoked = false;
    bool current = false;  // the caller's own device
};

struct RecoveryBlob {
    crypto::PassphraseWrappedKey wrapped;
    std::int32_t key_version = 1;
};

struct SealedAccountKey {
    Bytes wrapped_key;  // crypto_box_seal(AK, this device's public key)
    std::int32_t key_version = 1;
};

// GET /v1/devices (revoked ones too, oldest first). Throws ApiError; a
// malformed answer is an ApiError with code "bad_response".
[[nodiscard]] std::vector<DeviceInfo> list_devices(ApiClient& api);

// GET /v1/keys/device: nullopt while this device holds no key (404).
[[nodiscard]] std::optional<SealedAccountKey> get_own_key(ApiClient& api);

// PUT /v1/keys/devices/{id}. Throws ApiError (403 forbidden / revoked, 409).
void put_device_key(ApiClient& api, const std::string& device_id, const SealedAccountKey& key);

// GET /v1/keys/recovery: nullopt when the account has none (404).
[[nodiscard]] std::optional<RecoveryBlob> get_recovery(ApiClient& api);

// PUT /v1/keys/recovery with If-None-Match: *. False when one exists already
// (412: another device made it first). Throws ApiError otherwise.
[[nodiscard]] bool create_recovery(ApiClient& api, const RecoveryBlob& blob);

// True when the account stores at least one state (a tombstone counts):
// data that only the existing account key can read.
[[nodiscard]] bool account_has_states(ApiClient& api);

}  // namespace edgesync::agent
