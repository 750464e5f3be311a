// Live fan-out through the real server: one encoding of an event is shared by
// every stream of the instance, and frames queued behind a full socket go out
// together (gather writes) in order.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/e2e/live_fixture.hpp"
#include "tests/support/sse_client.hpp"
#include "tests/support/ws_client.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

class ServerLiveFanout : public LiveServerTest {
  protected:
    void SetUp() override { start_server({{"SERVER_STREAM_HEARTBEAT", "300ms"}}); }

    std::unique_ptr<SseClient> open_sse(const LiveLogin& who, int receive_buffer_bytes = 0) {
        return std::make_unique<SseClient>(server().host(), server().port(), "/v1/events/stream",
                                           HttpHeaders{{"Authorization", "Bearer " + who.access}},
                                           k_patience, receive_buffer_bytes);
    }
};

TEST_F(ServerLiveFanout, EveryStreamGetsTheSameEventBytes) {
    const auto me = register_and_login("shared");
    std::vector<std::unique_ptr<SseClient>> streams;
    for (int i = 0; i < 3; ++i) {
        streams.push_back(open_sse(me));
        ASSERT_EQ(streams.back()->status(), 200);
    }
    WsClient ws(server().host(), server().port(), "/v1/ws",
                HttpHeaders{{"Authorization", "Bearer " + me.access}});
    wait_for_subscribers(4);

    const auto w = put(me, "notes/shared");
    const auto first = streams[0]->next_event(k_patience);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->id, std::to_string(w.seq));
    EXPECT_EQ(json::parse(first->data)["key"], "notes/shared");
    for (std::size_t i = 1; i < streams.size(); ++i) {
        const auto m = streams[i]->next_event(k_patience);
        ASSERT_TRUE(m);
        EXPECT_EQ(m->id, first->id);
        EXPECT_EQ(m->event, first->event);
        EXPECT_EQ(m->data, first->data);  // byte for byte
    }
    const auto frame = ws.read(k_patience);
    ASSERT_FALSE(frame.closed);
    auto expected = json::parse(first->data);
    expected["type"] = "event";
    EXPECT_EQ(json::parse(frame.text), expected);
}

TEST_F(ServerLiveFanout, EventsQueuedBehindAFullSocketArriveWholeAndInOrder) {
    const auto me = register_and_login("burst");
    // A small receive buffer, not read while the burst is published: the
    // socket fills, frames queue up and go out in gather writes as it drains.
    auto sse = open_sse(me, 4096);
    ASSERT_EQ(sse->status(), 200);
    (void)put(me, "first");
    const auto first = sse->next_event(k_patience);
    ASSERT_TRUE(first);  // the catch-up is over: the stream is live
    ASSERT_EQ(first->id, "1");
    // Hints alone (no rows): each is the next seq, so it is queued as it comes.
    // ~600 KiB in all: above what the sockets hold, below the 1 MiB queue cap.
    constexpr std::int64_t k_last = 501;
    for (std::int64_t seq = 2; seq <= k_last; ++seq)
        publish_live(m_publisher, me.account_id,
                     LiveEvent{seq, "state.put", std::string(1000, 'a' + seq % 26), me.device_id,
                               seq, now()});
    for (std::int64_t seq = 2; seq <= k_last; ++seq) {
        const auto m = sse->next_event(k_patience);
        ASSERT_TRUE(m) << "the stream ended before seq " << seq;
        ASSERT_EQ(m->id, std::to_string(seq));
        const auto data = json::parse(m->data);
        ASSERT_EQ(data["key"], std::string(1000, 'a' + seq % 26));
        ASSERT_EQ(data["version"], seq);
    }
}

}  // namespace
}  // namespace edgesync::test
