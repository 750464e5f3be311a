#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace edgesync {

using Clock = std::chrono::system_clock;
using Timestamp = std::chrono::time_point<Clock, std::chrono::microseconds>;

[[nodiscard]] inline Timestamp now() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now());
}

// RFC 3339 in UTC with microseconds: 2026-11-25T09:24:39.123456Z
[[nodiscard]] std::string format_rfc3339(Timestamp t);

// Parses RFC 3339 / Postgres `timestamptz` text output ("2026-11-25 09:24:39.12+00").
[[nodiscard]] std::optional<Timestamp> parse_timestamp(std::string_view text);

// Seconds since the Unix epoch, for JWT claims and Redis scores.
[[nodiscard]] inline std::int64_t to_unix(Timestamp t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
[[nodiscard]] inline Timestamp from_unix(std::int64_t s) {
    return Timestamp(std::chrono::seconds(s));
}

}  // namespace edgesync
