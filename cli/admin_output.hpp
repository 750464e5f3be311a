#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shared/models/account.hpp"
#include "shared/models/device.hpp"
#include "shared/models/session.hpp"
#include "shared/util/time.hpp"

// How the account, device and session groups show their objects: the JSON
// shapes documented in docs/cli.md (keys are stable: add, never rename) and
// the human forms. Secrets are never part of either: no password hash, no
// refresh-token hash, no wrapped key.
namespace edgesync::cli {

// {"id","email","status","created_at","updated_at","disabled_at","deleted_at",
//  "used_bytes","quota_bytes"}; times RFC 3339 (µs, UTC) or null,
// status "active" | "disabled" | "deleted", quota null = unlimited.
[[nodiscard]] nlohmann::json account_json(const Account& a);
// {"id","email"}: how other objects name their account.
[[nodiscard]] nlohmann::json account_ref_json(const Account& a);
// {"id","account_id","name","type","status","created_at","updated_at",
//  "last_seen_at","revoked_at","public_key","key_version"}; status "active" |
// "revoked", public_key base64 or null.
[[nodiscard]] nlohmann::json device_json(const Device& d);
// {"id","account_id","device_id","device_name","created_at","expires_at",
//  "last_used_at","ttl_seconds","ip","user_agent"}; device_name null when the
// device is unknown. ttl_seconds counts from `at`.
[[nodiscard]] nlohmann::json session_json(const Session& s,
                                          const std::optional<std::string>& device_name,
                                          Timestamp at);

[[nodiscard]] std::string_view account_status(const Account& a);
[[nodiscard]] std::string_view device_status(const Device& d);

// 2026-11-25T09:24:39Z (seconds); `absent` for nullopt.
[[nodiscard]] std::string human_time(std::optional<Timestamp> t, std::string_view absent = "-");
// 0 B, 512 B, 1.5 KiB, 10.0 GiB.
[[nodiscard]] std::string human_bytes(std::int64_t bytes);
// 45s, 12m 5s, 3h 20m, 6d 23h; "expired" when <= 0.
[[nodiscard]] std::string human_duration(std::chrono::seconds d);
// Whole seconds left until `expires_at` at `at` (never negative).
[[nodiscard]] std::int64_t seconds_left(Timestamp expires_at, Timestamp at);

// "Name:  value" lines with the values aligned, to stdout.
void print_fields(const std::vector<std::pair<std::string, std::string>>& fields);

// A byte count: digits, optionally followed by a unit: B, KiB, MiB, GiB, TiB
// (powers of 1024) or KB, MB, GB, TB (powers of 1000). nullopt when malformed,
// negative or beyond int64.
[[nodiscard]] std::optional<std::int64_t> parse_byte_size(std::string_view text);

}  // namespace edgesync::cli
