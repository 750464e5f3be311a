// The es:account:{aid} wire format (shared/services/live_message.hpp): both
// shapes round-trip, and everything else is refused without throwing, since a
// server's subscriber loop reads whatever is published on the channel.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shared/services/live_message.hpp"
#include "shared/services/publisher.hpp"

namespace edgesync {
namespace {

Timestamp sample_time() { return *parse_timestamp("2026-11-25T09:24:39.123456Z"); }

LiveEvent sample_event() {
    return {42, "state.put",  "notes/today", "4b8f6a36-0a3c-4a4b-9d2e-1d6f7b2f3e10",
            7,  sample_time()};
}

PresenceChange sample_presence() {
    return {"4b8f6a36-0a3c-4a4b-9d2e-1d6f7b2f3e10", "away", sample_time()};
}

TEST(LiveMessage, EventRoundTrips) {
    const LiveMessage m = sample_event();
    const auto parsed = parse_live_message(live_message(m));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, m);
}

TEST(LiveMessage, DeleteEventRoundTrips) {
    auto e = sample_event();
    e.event_type = "state.delete";
    const auto parsed = parse_live_message(live_message(e));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(std::get<LiveEvent>(*parsed), e);
}

TEST(LiveMessage, PresenceRoundTripsForEveryStatus) {
    for (const char* status : {"online", "away", "offline"}) {
        auto p = sample_presence();
        p.status = status;
        const auto parsed = parse_live_message(live_message(p));
        ASSERT_TRUE(parsed) << status;
        EXPECT_EQ(std::get<PresenceChange>(*parsed), p);
    }
}

TEST(LiveMessage, EventJsonHasTheDocumentedMembers) {
    EXPECT_EQ(live_message(sample_event()),
              R"({"at":"2026-11-25T09:24:39.123456Z","device":"4b8f6a36-0a3c-4a4b-9d2e-)"
              R"(1d6f7b2f3e10","event_type":"state.put","key":"notes/today","seq":42,)"
              R"("type":"event","version":7})");
}

TEST(LiveMessage, UnknownMembersAreIgnored) {
    const auto parsed = parse_live_message(
        R"({"type":"presence","device":"d","status":"online","at":"2026-11-25T09:24:39Z",)"
        R"("server":"b","extra":[1,2]})");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(std::get<PresenceChange>(*parsed).status, "online");
}

TEST(LiveMessage, EveryMalformedShapeIsRejected) {
    const std::string at = R"("at":"2026-11-25T09:24:39Z")";
    const std::string ev = R"("type":"event","event_type":"state.put","key":"k","device":"d",)";
    const std::string pr = R"("type":"presence","device":"d",)";
    const std::vector<std::string> bads = {
        // not JSON / not an object
        "", "garbage", std::string("\0\xff\xfe{", 4), R"({"type":"event")", "null", "42",
        R"("event")", R"([{"type":"event"}])",
        // type
        "{}", R"({"type":"snapshot","seq":1})", R"({"type":7})", R"({"type":""})",
        // events: missing, wrong types, empty ids, seq < 1, bad values
        "{" + ev + R"("version":1,)" + at + "}",                // no seq
        "{" + ev + R"("seq":"1","version":1,)" + at + "}",      // seq a string
        "{" + ev + R"("seq":1.5,"version":1,)" + at + "}",      // seq not an integer
        "{" + ev + R"("seq":0,"version":1,)" + at + "}",        // seq < 1
        "{" + ev + R"("seq":-3,"version":1,)" + at + "}",       // seq < 1
        "{" + ev + R"("seq":1,)" + at + "}",                    // no version
        "{" + ev + R"("seq":1,"version":"1",)" + at + "}",      // version a string
        "{" + ev + R"("seq":1,"version":1})",                   // no at
        "{" + ev + R"("seq":1,"version":1,"at":"yesterday"})",  // bad time
        "{" + ev + R"("seq":1,"version":1,"at":1764062679})",   // time a number
        "{" + ev + R"("seq":1,"version":1,"at":""})",           // empty time
        R"({"type":"event","event_type":"state.put","key":"","device":"d","seq":1,"version":1,)" +
            at + "}",  // empty key
        R"({"type":"event","event_type":"state.put","key":"k","device":"","seq":1,"version":1,)" +
            at + "}",  // empty device
        R"({"type":"event","event_type":"state.put","key":"k","device":7,"seq":1,"version":1,)" +
            at + "}",  // device a number
        R"({"type":"event","event_type":"state.move","key":"k","device":"d","seq":1,"version":1,)" +
            at + "}",  // unknown event type
        R"({"type":"event","key":"k","device":"d","seq":1,"version":1,)" + at + "}",  // none
        // presence
        "{" + pr + R"("status":"busy",)" + at + "}",                        // unknown status
        "{" + pr + R"("status":"",)" + at + "}",                            // empty status
        "{" + pr + R"("status":true,)" + at + "}",                          // status a bool
        "{" + pr + at + "}",                                                // no status
        "{" + pr + R"("status":"online"})",                                 // no at
        "{" + pr + R"("status":"online","at":"2026-13-45T99:00:00Z"})",     // bad time
        R"({"type":"presence","device":"","status":"online",)" + at + "}",  // empty device
        R"({"type":"presence","status":"online",)" + at + "}",              // no device
    };
    for (const auto& bad : bads) EXPECT_FALSE(parse_live_message(bad)) << bad;
}

TEST(LiveMessage, PublishLiveWritesTheMessageOnTheAccountChannel) {
    struct Recorder : Publisher {
        void publish(const std::string& channel, const std::string& message) override {
            calls.emplace_back(channel, message);
        }
        std::vector<std::pair<std::string, std::string>> calls;
    } recorder;
    publish_live(recorder, "acc-1", sample_presence());
    ASSERT_EQ(recorder.calls.size(), 1u);
    EXPECT_EQ(recorder.calls[0].first, "es:account:{acc-1}");
    EXPECT_EQ(recorder.calls[0].second, live_message(sample_presence()));
}

}  // namespace
}  // namespace edgesync
