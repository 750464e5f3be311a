// The JSON protocol decoders: the live channel's messages (parse_live_message,
// read by every server's live hub from Redis), the SSE `data:` payload the
// agent reads (parse_stream_event), and the agent's reader of state objects
// (parse_remote_state). Properties: no decoder throws anything but its
// documented error, and a decoded live message re-encodes to one that decodes
// to the same value.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/api_client.hpp"
#include "agent/event_stream.hpp"
#include "agent/state_api.hpp"
#include "shared/services/live_message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    if (const auto message = edgesync::parse_live_message(text)) {
        const auto again = edgesync::parse_live_message(edgesync::live_message(*message));
        if (!again || !(*again == *message)) std::abort();
    }

    edgesync::agent::StreamEvent event;
    (void)edgesync::agent::parse_stream_event(text, event);

    const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!json.is_discarded()) {
        try {
            (void)edgesync::agent::parse_remote_state(json);
        } catch (const edgesync::agent::ApiError&) {
            // the documented answer to a malformed state object
        }
    }
    return 0;
}
