// server/stream_frames: an event encoded once per instance and shared by every
// stream (SSE frame and WebSocket message).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/event_feed.hpp"
#include "server/event_json.hpp"
#include "server/stream_frames.hpp"

namespace edgesync::server {
namespace {

LiveEvent sample() { return {42, "state.put", "notes/a\"b", "dev-1", 7, from_unix(1'700'000'000)}; }

TEST(StreamFrames, EncodedSseFrameIsTheSessionsOwnFraming) {
    const auto e = encode_event(sample());
    EXPECT_EQ(e->event, sample());
    EXPECT_EQ(e->sse, sse_event_frame(sample()));
}

TEST(StreamFrames, EncodedWebSocketMessageIsEventJsonWithItsType) {
    const auto e = encode_event(sample());
    auto expected = event_json(sample());
    expected["type"] = "event";
    EXPECT_EQ(nlohmann::json::parse(e->ws), expected);
    EXPECT_EQ(e->ws, ws_event_message(sample()));
}

TEST(StreamFrames, FramesAliasTheEncodedBytesAndKeepThemAlive) {
    auto e = encode_event(sample());
    const auto sse = sse_frame_of(e);
    const auto ws = ws_frame_of(e);
    EXPECT_EQ(sse.get(), &e->sse);  // no copy: every stream points at the same bytes
    EXPECT_EQ(ws.get(), &e->ws);
    const std::string expected = e->sse;
    e.reset();  // the hub is done with it; queued frames still hold the event
    EXPECT_EQ(*sse, expected);
    EXPECT_EQ(sse.use_count(), 2);  // sse and ws share one owner
}

TEST(StreamFrames, MakeFrameOwnsItsBytes) {
    const auto f = make_frame(": keep-alive\n\n");
    EXPECT_EQ(*f, ": keep-alive\n\n");
}

}  // namespace
}  // namespace edgesync::server
