// The ordering logic of event streams (catch-up pages + live events) and the
// SSE framing, as plain functions: no socket, no Postgres.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/event_feed.hpp"

namespace edgesync::server {
namespace {

SyncEvent ev(std::int64_t seq) {
    SyncEvent e;
    e.sequence_number = seq;
    e.event_type = "state.put";
    e.state_key = "k" + std::to_string(seq);
    e.device_id = "d";
    e.payload = R"({"version":1,"size":3})";
    return e;
}

std::vector<SyncEvent> evs(std::int64_t from, std::int64_t to) {
    std::vector<SyncEvent> out;
    for (auto s = from; s <= to; ++s) out.push_back(ev(s));
    return out;
}

std::vector<std::int64_t> seqs(const std::vector<SyncEvent>& page) {
    std::vector<std::int64_t> out;
    for (const auto& e : page) out.push_back(e.sequence_number);
    return out;
}

TEST(FeedCursor, StartsWithACatchUpReadFromAfter) {
    FeedCursor f(5);
    ASSERT_TRUE(f.wants_read());
    const auto r = f.begin_read();
    EXPECT_EQ(r.after, 5);
    EXPECT_FALSE(f.wants_read());
    EXPECT_EQ(seqs(f.end_read(r, evs(6, 8), 10)), (std::vector<std::int64_t>{6, 7, 8}));
    EXPECT_EQ(f.cursor(), 8);
    EXPECT_FALSE(f.wants_read());
}

TEST(FeedCursor, AFullPageAsksForTheNextOne) {
    FeedCursor f(0);
    auto r = f.begin_read();
    (void)f.end_read(r, evs(1, 3), 3);
    ASSERT_TRUE(f.wants_read());
    r = f.begin_read();
    EXPECT_EQ(r.after, 3);
}

TEST(FeedCursor, NextLiveEventIsSentAndDuplicatesAreNot) {
    FeedCursor f(0);
    (void)f.end_read(f.begin_read(), {}, 10);
    EXPECT_TRUE(f.on_live(1));
    EXPECT_FALSE(f.on_live(1));
    EXPECT_TRUE(f.on_live(2));
    EXPECT_EQ(f.cursor(), 2);
    EXPECT_FALSE(f.wants_read());
}

TEST(FeedCursor, AGapTriggersAReadFromTheCursor) {
    FeedCursor f(0);
    (void)f.end_read(f.begin_read(), {}, 10);
    EXPECT_FALSE(f.on_live(3));  // 1 and 2 were missed
    ASSERT_TRUE(f.wants_read());
    const auto r = f.begin_read();
    EXPECT_EQ(r.after, 0);
    EXPECT_EQ(seqs(f.end_read(r, evs(1, 3), 10)), (std::vector<std::int64_t>{1, 2, 3}));
    EXPECT_FALSE(f.wants_read());
}

TEST(FeedCursor, LiveEventsDuringAReadAreReadAgainNotSentOutOfOrder) {
    FeedCursor f(0);
    const auto r = f.begin_read();
    EXPECT_FALSE(f.on_live(1));
    EXPECT_FALSE(f.on_live(2));
    // The read saw only event 1; 2 was committed after it.
    EXPECT_EQ(seqs(f.end_read(r, evs(1, 1), 10)), (std::vector<std::int64_t>{1}));
    ASSERT_TRUE(f.wants_read());
    const auto again = f.begin_read();
    EXPECT_EQ(again.after, 1);
    EXPECT_EQ(seqs(f.end_read(again, evs(2, 2), 10)), (std::vector<std::int64_t>{2}));
    EXPECT_FALSE(f.wants_read());
}

TEST(FeedCursor, AHintTheLogDoesNotHaveIsNotReadForever) {
    FeedCursor f(0);
    (void)f.end_read(f.begin_read(), {}, 10);
    EXPECT_FALSE(f.on_live(5));  // a gap: read
    const auto r = f.begin_read();
    EXPECT_TRUE(f.end_read(r, {}, 10).empty());  // 1..5 are not in the log
    EXPECT_FALSE(f.wants_read());
    EXPECT_TRUE(f.on_live(1));  // the real next event still goes out
}

TEST(FeedCursor, ResyncReadsFromTheCursor) {
    FeedCursor f(4);
    (void)f.end_read(f.begin_read(), {}, 10);
    f.on_resync();
    ASSERT_TRUE(f.wants_read());
    EXPECT_EQ(f.begin_read().after, 4);
}

TEST(FeedCursor, RestartDropsTheReadInFlight) {
    FeedCursor f(10);
    const auto stale = f.begin_read();
    f.restart(2);
    EXPECT_TRUE(f.end_read(stale, evs(11, 12), 10).empty());
    EXPECT_EQ(f.cursor(), 2);
    ASSERT_TRUE(f.wants_read());
    const auto r = f.begin_read();
    EXPECT_EQ(r.after, 2);
    EXPECT_EQ(seqs(f.end_read(r, evs(3, 4), 10)), (std::vector<std::int64_t>{3, 4}));
}

TEST(FeedCursor, AbortedReadIsWantedAgain) {
    FeedCursor f(0);
    (void)f.begin_read();
    f.abort_read();
    EXPECT_TRUE(f.wants_read());
}

TEST(SseFraming, EventFrameHasIdTypeAndOneLineOfJson) {
    LiveEvent e{7, "state.delete", "a\nkey", "dev", 3, from_unix(1'700'000'000)};
    const auto frame = sse_event_frame(e);
    const std::string head = "id: 7\nevent: state.delete\ndata: ";
    ASSERT_EQ(frame.substr(0, head.size()), head);
    ASSERT_TRUE(frame.ends_with("\n\n"));
    const auto data = frame.substr(head.size(), frame.size() - head.size() - 2);
    EXPECT_EQ(data.find('\n'), std::string::npos);  // a newline in a key stays escaped
    const auto j = nlohmann::json::parse(data);
    EXPECT_EQ(j["seq"], 7);
    EXPECT_EQ(j["key"], "a\nkey");
    EXPECT_EQ(j["version"], 3);
}

TEST(SseFraming, HeartbeatIsAComment) { EXPECT_EQ(sse_heartbeat_frame(), ": keep-alive\n\n"); }

}  // namespace
}  // namespace edgesync::server
