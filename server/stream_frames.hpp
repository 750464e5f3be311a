#pragma once

#include <memory>
#include <string>

#include "shared/services/live_message.hpp"

namespace edgesync::server {

// A live event encoded once per instance for every stream that sends it: the
// hub builds it when an event has subscribers, and each SSE / WebSocket
// session queues a shared pointer to the bytes instead of formatting its own
// copy. Immutable once built, so any thread may read it.
struct EncodedEvent {
    LiveEvent event;
    std::string sse;  // sse_event_frame(event)
    std::string ws;   // the WebSocket text message {"type":"event",...event_json}
};

using SharedEvent = std::shared_ptr<const EncodedEvent>;
// Bytes queued on a stream; several streams may hold the same ones.
using SharedFrame = std::shared_ptr<const std::string>;

[[nodiscard]] SharedEvent encode_event(LiveEvent e);

// Frames that alias `e`'s storage (no copy; `e` lives while a frame does).
[[nodiscard]] SharedFrame sse_frame_of(const SharedEvent& e);
[[nodiscard]] SharedFrame ws_frame_of(const SharedEvent& e);

// The WebSocket event message of `e` (what EncodedEvent::ws holds).
[[nodiscard]] std::string ws_event_message(const LiveEvent& e);

// A frame owning `bytes` (catch-up pages, heartbeats, headers).
[[nodiscard]] SharedFrame make_frame(std::string bytes);

}  // namespace edgesync::server
