// GET /v1/events/stream: Server-Sent Events against the real server, Postgres
// and Redis — catch-up, resume, live events, gaps, heartbeats, revocation.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/e2e/live_fixture.hpp"
#include "tests/support/sse_client.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

class ServerSse : public LiveServerTest {
  protected:
    void SetUp() override { start_server({{"SERVER_STREAM_HEARTBEAT", "300ms"}}); }

    std::unique_ptr<SseClient> open(const LiveLogin& who, const std::string& query = "",
                                    HttpHeaders headers = {}, std::size_t i = 0) {
        headers.emplace_back("Authorization", "Bearer " + who.access);
        return std::make_unique<SseClient>(server(i).host(), server(i).port(),
                                           "/v1/events/stream" + query, headers);
    }
};

// The next event's seq, checking that its fields agree with each other.
std::int64_t next_seq(SseClient& sse) {
    const auto m = sse.next_event(k_patience);
    if (!m) {
        ADD_FAILURE() << "the stream ended";
        return -1;
    }
    const auto data = json::parse(m->data);
    EXPECT_EQ(m->event, data["event_type"]);
    EXPECT_EQ(m->id, std::to_string(data["seq"].get<std::int64_t>()));
    return data["seq"];
}

TEST_F(ServerSse, CatchesUpFromAfterThenSendsLiveEvents) {
    const auto me = register_and_login("sse");
    for (int i = 1; i <= 3; ++i) (void)put(me, "k" + std::to_string(i));

    auto sse = open(me, "?after=0");
    ASSERT_EQ(sse->status(), 200) << sse->error_body();
    EXPECT_EQ(sse->header("Content-Type").value_or(""), "text/event-stream");
    EXPECT_EQ(sse->header("Cache-Control").value_or(""), "no-cache");
    EXPECT_TRUE(sse->header("X-Request-Id").has_value());

    const auto first = sse->next_event(k_patience);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->id, "1");
    EXPECT_EQ(first->event, "state.put");
    const auto data = json::parse(first->data);
    EXPECT_EQ(data["key"], "k1");
    EXPECT_EQ(data["device_id"], me.device_id);
    EXPECT_EQ(data["version"], 1);
    EXPECT_EQ(next_seq(*sse), 2);
    EXPECT_EQ(next_seq(*sse), 3);

    wait_for_subscribers(1);
    const auto w = put(me, "live");
    EXPECT_EQ(next_seq(*sse), w.seq);
}

TEST_F(ServerSse, LastEventIdResumesWithoutDuplicates) {
    const auto me = register_and_login("resume");
    for (int i = 1; i <= 3; ++i) (void)put(me, "k" + std::to_string(i));
    // Last-Event-ID wins over ?after (what a browser's EventSource sends on reconnect).
    auto sse = open(me, "?after=0", {{"Last-Event-ID", "2"}});
    ASSERT_EQ(sse->status(), 200);
    EXPECT_EQ(next_seq(*sse), 3);
    wait_for_subscribers(1);
    const auto w = put(me, "k4");
    EXPECT_EQ(next_seq(*sse), w.seq);
}

TEST_F(ServerSse, AGapInLiveEventsIsFilledFromTheLog) {
    const auto me = register_and_login("gap");
    (void)put(me, "one");
    auto sse = open(me, "?after=0");
    EXPECT_EQ(next_seq(*sse), 1);
    wait_for_subscribers(1);
    // Seq 2's hint is lost; only 3 is published.
    (void)put(me, "two", /*publish=*/false);
    (void)put(me, "three");
    EXPECT_EQ(next_seq(*sse), 2);
    EXPECT_EQ(next_seq(*sse), 3);
}

TEST_F(ServerSse, DuplicateHintsAreSentOnce) {
    const auto me = register_and_login("dup");
    auto sse = open(me, "?after=0");
    wait_for_subscribers(1);
    const auto w1 = put(me, "one");
    publish_event(me, "one", w1);  // the same hint twice
    const auto w2 = put(me, "two");
    EXPECT_EQ(next_seq(*sse), w1.seq);
    EXPECT_EQ(next_seq(*sse), w2.seq);
}

TEST_F(ServerSse, HeartbeatCommentsKeepAnIdleStreamAlive) {
    const auto me = register_and_login("beat");
    auto sse = open(me);
    const auto m = sse->next(k_patience);
    ASSERT_TRUE(m);
    EXPECT_TRUE(m->is_comment());
    EXPECT_EQ(m->comment, "keep-alive");
}

TEST_F(ServerSse, RevocationNoticeEndsTheStream) {
    const auto me = register_and_login("notice");
    auto sse = open(me);
    wait_for_subscribers(1);
    publish_revocation_of(RevocationNotice::for_device(me.account_id, me.device_id));
    EXPECT_TRUE(sse->wait_for_close(k_patience));
}

TEST_F(ServerSse, DeletingTheSessionEndsItsStreamOnly) {
    const auto me = register_and_login("delete");
    const auto other = login(me.email);
    auto mine = open(me);
    auto others = open(other);
    wait_for_subscribers(2);
    const auto r =
        http_request(server().host(), server().port(), "DELETE", "/v1/sessions/" + me.session_id,
                     {{"Authorization", "Bearer " + other.access}});
    ASSERT_EQ(r.status, 204) << r.describe();
    EXPECT_TRUE(mine->wait_for_close(k_patience));
    // The other session's stream lives on and still gets events.
    const auto w = put(other, "after-revoke");
    EXPECT_EQ(next_seq(*others), w.seq);
}

TEST_F(ServerSse, AReaderTooSlowForTheSendQueueIsClosed) {
    const auto me = register_and_login("slow");
    // A small receive buffer, and never read: the socket fills, then the queue.
    SseClient sse(server().host(), server().port(), "/v1/events/stream",
                  {{"Authorization", "Bearer " + me.access}}, k_patience, 4096);
    (void)put(me, "first");
    ASSERT_TRUE(sse.next_event(k_patience));  // the catch-up is over: the stream is live
    // Hints alone (no rows): each is the next seq, so it is queued as it comes.
    const std::string key(1000, 'k');
    for (std::int64_t seq = 2; seq <= 20'000; ++seq) {
        publish_live(m_publisher, me.account_id,
                     LiveEvent{seq, "state.put", key, me.device_id, 1, now()});
        if (seq % 1000 == 0 &&
            server().wait_for_err("client too slow", std::chrono::milliseconds(1)))
            break;
    }
    EXPECT_TRUE(server().wait_for_err("client too slow", k_patience));
    EXPECT_TRUE(sse.wait_for_close(k_patience));
}

TEST_F(ServerSse, NoTokenIs401AndBadLastEventIdIs400) {
    SseClient anonymous(server().host(), server().port(), "/v1/events/stream");
    EXPECT_EQ(anonymous.status(), 401);
    const auto me = register_and_login("bad");
    auto bad = open(me, "", {{"Last-Event-ID", "abc"}});
    EXPECT_EQ(bad->status(), 400);
}

}  // namespace
}  // namespace edgesync::test
