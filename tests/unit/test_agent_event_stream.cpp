// Pieces of the agent's event stream follower that need no server: backoff
// with jitter and the event payload reader.
#include <gtest/gtest.h>

#include <set>

#include "agent/event_stream.hpp"

namespace edgesync::agent {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, WaitsStayWithinTheDoublingCapAndTheMaximum) {
    Backoff b(milliseconds(100), milliseconds(1000), 42);
    for (int attempt = 0; attempt < 30; ++attempt) {
        const auto cap = std::min<std::int64_t>(1000, 100LL << std::min(attempt, 20));
        const auto wait = b.next();
        EXPECT_GE(wait.count(), 0);
        EXPECT_LE(wait.count(), cap) << "attempt " << attempt;
    }
    EXPECT_EQ(b.attempts(), 30);
}

TEST(Backoff, JitterSpreadsTheWaits) {
    Backoff b(milliseconds(1000), milliseconds(1000), 7);
    std::set<std::int64_t> seen;
    for (int i = 0; i < 50; ++i) seen.insert(b.next().count());
    EXPECT_GT(seen.size(), 25U);  // 50 draws from [0, 1000]: not a constant
}

TEST(Backoff, ResetStartsOverFromTheBase) {
    Backoff b(milliseconds(10), milliseconds(100000), 1);
    for (int i = 0; i < 10; ++i) (void)b.next();
    b.reset();
    EXPECT_EQ(b.attempts(), 0);
    EXPECT_LE(b.next().count(), 10);
}

TEST(StreamEvent, ParsesTheServersEventJson) {
    StreamEvent e;
    ASSERT_TRUE(parse_stream_event(
        R"({"seq":12,"event_type":"state.put","key":"k1","device_id":"d","version":3,"created_at":"2026-11-25T10:00:00Z"})",
        e));
    EXPECT_EQ(e.seq, 12);
    EXPECT_EQ(e.event_type, "state.put");
    EXPECT_EQ(e.key, "k1");
    EXPECT_EQ(e.device_id, "d");
    EXPECT_EQ(e.version, 3);
}

TEST(StreamEvent, RejectsMalformedPayloads) {
    StreamEvent e;
    EXPECT_FALSE(parse_stream_event("", e));
    EXPECT_FALSE(parse_stream_event("not json", e));
    EXPECT_FALSE(parse_stream_event("[]", e));
    EXPECT_FALSE(parse_stream_event(R"({"seq":"1","event_type":"state.put","key":"k"})", e));
    EXPECT_FALSE(parse_stream_event(R"({"seq":1,"key":"k"})", e));
    EXPECT_FALSE(parse_stream_event(R"({"seq":0,"event_type":"state.put","key":"k"})", e));
    EXPECT_FALSE(parse_stream_event(R"({"seq":1,"event_type":"state.put","key":5})", e));
}

}  // namespace
}  // namespace edgesync::agent
