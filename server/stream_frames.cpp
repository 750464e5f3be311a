#include "server/stream_frames.hpp"

#include <utility>

#include "server/event_feed.hpp"
#include "server/event_json.hpp"

namespace edgesync::server {

std::string ws_event_message(const LiveEvent& e) {
    auto j = event_json(e);
    j["type"] = "event";
    return j.dump();
}

SharedEvent encode_event(LiveEvent e) {
    auto encoded = std::make_shared<EncodedEvent>();
    encoded->sse = sse_event_frame(e);
    encoded->ws = ws_event_message(e);
    encoded->event = std::move(e);
    return encoded;
}

SharedFrame sse_frame_of(const SharedEvent& e) { return SharedFrame(e, &e->sse); }

SharedFrame ws_frame_of(const SharedEvent& e) { return SharedFrame(e, &e->ws); }

SharedFrame make_frame(std::string bytes) {
    return std::make_shared<const std::string>(std::move(bytes));
}

}  // namespace edgesync::server
