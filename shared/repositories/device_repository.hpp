#pragma once

#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "shared/models/device.hpp"

namespace edgesync {

enum class DeviceError {
    account_not_found,
    not_found,
    revoked,
};

// Every method takes the account id and filters by it: a device of another
// account is "not found", never visible. Implementations are thread-safe.
class DeviceRepository {
public:
    virtual ~DeviceRepository() = default;

    [[nodiscard]] virtual std::expected<Device, DeviceError> create(const NewDevice& d) = 0;
    [[nodiscard]] virtual std::optional<Device> find(const std::string& account_id,
                                                     const std::string& device_id) = 0;
    // Exact name match among the account's non-deleted devices (names are not unique).
    [[nodiscard]] virtual std::vector<Device> find_by_name(const std::string& account_id,
                                                           const std::string& name) = 0;
    [[nodiscard]] virtual std::vector<Device> list(const std::string& account_id,
                                                   bool include_revoked = true) = 0;
    [[nodiscard]] virtual std::expected<Device, DeviceError> rename(const std::string& account_id,
                                                                    const std::string& device_id,
                                                                    const std::string& name) = 0;
    // Sets revoked_at (idempotent: revoking twice keeps the first time) and
    // clears the wrapped account key. Returns the device as it is now.
    [[nodiscard]] virtual std::expected<Device, DeviceError> revoke(const std::string& account_id,
                                                                    const std::string& device_id) = 0;
    // Revokes every unrevoked device of the account; returns the ids revoked now.
    [[nodiscard]] virtual std::vector<std::string> revoke_all(const std::string& account_id) = 0;
    virtual void touch_last_seen(const std::string& account_id, const std::string& device_id,
                                 Timestamp at) = 0;
    // Stores crypto_box_seal(AK, device pk). Refused for revoked devices.
    [[nodiscard]] virtual std::expected<Device, DeviceError> set_wrapped_key(
        const std::string& account_id, const std::string& device_id, const Bytes& wrapped,
        std::int32_t key_version) = 0;
};

}  // namespace edgesync
