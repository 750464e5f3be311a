// The agent's Server-Sent Events parser: the WHATWG event-stream rules, fed in
// chunks split at every possible position.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/sse_parser.hpp"

namespace edgesync::agent {
namespace {

struct Collector {
    std::vector<SseEvent> events;
    SseParser parser{[this](const SseEvent& e) { events.push_back(e); }};
};

TEST(SseParser, DispatchesAnEventWithIdTypeAndData) {
    Collector c;
    ASSERT_TRUE(c.parser.feed("id: 7\nevent: state.put\ndata: {\"seq\":7}\n\n"));
    ASSERT_EQ(c.events.size(), 1U);
    EXPECT_EQ(c.events[0].id, "7");
    EXPECT_EQ(c.events[0].event, "state.put");
    EXPECT_EQ(c.events[0].data, "{\"seq\":7}");
    EXPECT_EQ(c.parser.last_event_id(), "7");
}

TEST(SseParser, NothingIsDispatchedBeforeTheBlankLine) {
    Collector c;
    ASSERT_TRUE(c.parser.feed("id: 1\ndata: x\n"));
    EXPECT_TRUE(c.events.empty());
    ASSERT_TRUE(c.parser.feed("\n"));
    EXPECT_EQ(c.events.size(), 1U);
}

TEST(SseParser, EveryChunkSplitGivesTheSameEvents) {
    const std::string stream =
        ": keep-alive\r\n\r\nid: 1\r\nevent: state.put\r\ndata: a\r\n\r\n"
        "id: 2\revent: state.delete\rdata: b\r\rid: 3\ndata: line1\ndata: line2\n\n";
    Collector whole;
    ASSERT_TRUE(whole.parser.feed(stream));
    ASSERT_EQ(whole.events.size(), 3U);
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        for (std::size_t cut2 = cut; cut2 <= stream.size(); cut2 += 7) {
            Collector c;
            ASSERT_TRUE(c.parser.feed(stream.substr(0, cut)));
            ASSERT_TRUE(c.parser.feed(stream.substr(cut, cut2 - cut)));
            ASSERT_TRUE(c.parser.feed(stream.substr(cut2)));
            ASSERT_EQ(c.events.size(), 3U) << "cut at " << cut << "," << cut2;
            for (std::size_t i = 0; i < 3; ++i) {
                EXPECT_EQ(c.events[i].id, whole.events[i].id);
                EXPECT_EQ(c.events[i].event, whole.events[i].event);
                EXPECT_EQ(c.events[i].data, whole.events[i].data);
            }
        }
    }
    EXPECT_EQ(whole.events[1].event, "state.delete");
    EXPECT_EQ(whole.events[2].data, "line1\nline2");
}

TEST(SseParser, CommentsCountAsHeartbeatsAndDispatchNothing) {
    Collector c;
    ASSERT_TRUE(c.parser.feed(": keep-alive\n\n: keep-alive\n\n"));
    EXPECT_TRUE(c.events.empty());
    EXPECT_EQ(c.parser.comments(), 2U);
}

TEST(SseParser, TheIdPersistsAcrossEventsAsTheSpecSays) {
    Collector c;
    ASSERT_TRUE(c.parser.feed("id: 5\ndata: a\n\ndata: b\n\n"));
    ASSERT_EQ(c.events.size(), 2U);
    EXPECT_EQ(c.events[1].id, "5");
}

TEST(SseParser, AnEventWithoutTypeIsAMessageAndTheTypeResets) {
    Collector c;
    ASSERT_TRUE(c.parser.feed("event: x\ndata: 1\n\ndata: 2\n\n"));
    ASSERT_EQ(c.events.size(), 2U);
    EXPECT_EQ(c.events[0].event, "x");
    EXPECT_EQ(c.events[1].event, "message");
}

TEST(SseParser, FieldWithoutColonOrSpaceFollowsTheRules) {
    Collector c;
    // "data" alone is an empty data line; "data:x" keeps x (no space to strip);
    // only the first space after the colon goes.
    ASSERT_TRUE(c.parser.feed("data\ndata:x\ndata:  y\n\n"));
    ASSERT_EQ(c.events.size(), 1U);
    EXPECT_EQ(c.events[0].data, "\nx\n y");
}

TEST(SseParser, RetryIsReadOnlyWhenItIsAllDigits) {
    Collector c;
    ASSERT_TRUE(c.parser.feed("retry: 1500\n\nretry: soon\n\n"));
    EXPECT_EQ(c.parser.retry_ms(), 1500);
}

TEST(SseParser, UnknownFieldsAndEmptyEventsAreIgnored) {
    Collector c;
    ASSERT_TRUE(c.parser.feed("foo: bar\n\nevent: only-a-type\n\n"));
    EXPECT_TRUE(c.events.empty());
}

TEST(SseParser, AnOverlongLineStopsTheParser) {
    std::vector<SseEvent> events;
    SseParser parser([&](const SseEvent& e) { events.push_back(e); }, 16);
    EXPECT_TRUE(parser.feed("data: short\n\n"));
    EXPECT_FALSE(parser.feed("data: " + std::string(100, 'x')));
    EXPECT_FALSE(parser.feed("\n\n"));  // unusable afterwards
    EXPECT_EQ(events.size(), 1U);
}

}  // namespace
}  // namespace edgesync::agent
