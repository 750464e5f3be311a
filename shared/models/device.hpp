#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shared/util/bytes.hpp"
#include "shared/util/time.hpp"

namespace edgesync {

// Mirrors the CHECK constraint on devices.device_type.
enum class DeviceType { mobile, desktop, browser, server, agent };

[[nodiscard]] std::string_view to_string(DeviceType t);
[[nodiscard]] std::optional<DeviceType> parse_device_type(std::string_view text);

// One row of `devices`. A revoked device keeps its row (audit), but can no
// longer hold sessions or receive keys.
struct Device {
    std::string id;
    std::string account_id;
    std::string name;
    DeviceType device_type = DeviceType::agent;
    Bytes public_key;  // X25519, 32 bytes when set
    std::optional<Timestamp> last_seen_at;
    std::optional<Timestamp> revoked_at;
    Timestamp created_at{};
    Timestamp updated_at{};
    std::optional<Timestamp> deleted_at;
    std::optional<Bytes> wrapped_account_key;  // crypto_box_seal(AK, public_key)
    std::int32_t key_version = 0;

    [[nodiscard]] bool revoked() const { return revoked_at.has_value(); }
};

struct NewDevice {
    std::string account_id;
    std::string name;
    DeviceType device_type = DeviceType::agent;
    Bytes public_key;
};

}  // namespace edgesync
