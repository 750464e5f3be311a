#pragma once

#include <nlohmann/json.hpp>

#include "shared/models/event.hpp"
#include "shared/services/live_message.hpp"

namespace edgesync::server {

// The one JSON shape of an event, used by GET /v1/events, the SSE stream's
// `data:` and the WebSocket's event frames:
//   {"seq":N,"event_type":"state.put"|"state.delete","key":"..",
//    "device_id":"<did>","version":V,"created_at":"<RFC 3339>"}
// Both sources give the same JSON for the same event.
[[nodiscard]] nlohmann::json event_json(const SyncEvent& e);
[[nodiscard]] nlohmann::json event_json(const LiveEvent& e);

// The LiveEvent a committed SyncEvent is published as (version comes from its
// payload {"version":N,...}; 0 when the payload lacks it).
[[nodiscard]] LiveEvent to_live_event(const SyncEvent& e);

}  // namespace edgesync::server
