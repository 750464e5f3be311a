#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "shared/util/time.hpp"

namespace edgesync {

class Publisher;

// Messages on an account's live channel `es:account:{aid}` (redis_keys::
// account_channel). DESIGN writes the hint as {"seq":N,"key":..,"device":..};
// EdgeSync carries the whole event (no blob) so a server can fan it out to its
// connections without reading Postgres, plus presence changes for WebSocket
// clients. Pub/sub is best effort: a receiver that sees a seq gap (or misses
// messages during a reconnect) re-reads the event log from its own cursor.
//
// Wire format, JSON objects built only here (unknown members are ignored):
//   {"type":"event","seq":N,"event_type":"state.put"|"state.delete",
//    "key":"..","device":"<did>","version":V,"at":"<RFC 3339>"}
//   {"type":"presence","device":"<did>","status":"online"|"away"|"offline",
//    "at":"<RFC 3339>"}
struct LiveEvent {
    std::int64_t seq = 0;
    std::string event_type;  // "state.put" | "state.delete"
    std::string key;
    std::string device_id;
    std::int64_t version = 0;
    Timestamp at{};

    friend bool operator==(const LiveEvent&, const LiveEvent&) = default;
};

struct PresenceChange {
    std::string device_id;
    std::string status;  // "online" | "away" | "offline"
    Timestamp at{};

    friend bool operator==(const PresenceChange&, const PresenceChange&) = default;
};

using LiveMessage = std::variant<LiveEvent, PresenceChange>;

// The one place the JSON above is built.
[[nodiscard]] std::string live_message(const LiveMessage& message);

// nullopt for anything that is not exactly one of the shapes above (bad JSON,
// wrong types, empty ids, seq < 1, unknown type). Never throws: garbage on the
// channel cannot kill a subscriber loop.
[[nodiscard]] std::optional<LiveMessage> parse_live_message(std::string_view text) noexcept;

// Publishes live_message(message) on account_channel(account_id). Throws as
// Publisher::publish does; callers that already committed log and carry on
// (readers recover from their cursor).
void publish_live(Publisher& publisher, std::string_view account_id, const LiveMessage& message);
// The same for several messages, in order, in one round trip (a batch's events).
void publish_live(Publisher& publisher, std::string_view account_id,
                  const std::vector<LiveMessage>& messages);

}  // namespace edgesync
