// Live transports across instances and at shutdown: two servers share one
// Postgres and one Redis; SIGTERM closes open streams cleanly.
#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <nlohmann/json.hpp>

#include "shared/util/bytes.hpp"
#include "tests/e2e/live_fixture.hpp"
#include "tests/support/sse_client.hpp"
#include "tests/support/ws_client.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

class ServerLiveInstances : public LiveServerTest {};

std::int64_t sse_seq(SseClient& sse) {
    const auto m = sse.next_event(k_patience);
    if (!m) {
        ADD_FAILURE() << "the stream ended";
        return -1;
    }
    return json::parse(m->data)["seq"];
}

std::int64_t ws_seq(WsClient& ws) {
    const auto m = ws.read(k_patience);
    if (m.closed) {
        ADD_FAILURE() << "closed: " << m.close_code;
        return -1;
    }
    const auto j = json::parse(m.text);
    EXPECT_EQ(j["type"], "event");
    return j["seq"];
}

TEST_F(ServerLiveInstances, AWritePublishedThroughAReachesStreamsOnB) {
    start_server();                               // A
    start_server();                               // B
    const auto me = register_and_login("multi");  // through A
    const HttpHeaders auth{{"Authorization", "Bearer " + me.access}};
    SseClient sse(server(1).host(), server(1).port(), "/v1/events/stream", auth);
    ASSERT_EQ(sse.status(), 200) << sse.error_body();
    WsClient ws(server(1).host(), server(1).port(), "/v1/ws", auth);
    wait_for_subscribers(2, 1);

    // What A's state route does after a commit: publish on the shared Redis.
    const auto w = put(me, "from-a");
    EXPECT_EQ(sse_seq(sse), w.seq);
    EXPECT_EQ(ws_seq(ws), w.seq);

    // Revoking the session through A drops both streams on B.
    const auto other = login(me.email);
    const auto r =
        http_request(server(0).host(), server(0).port(), "DELETE", "/v1/sessions/" + me.session_id,
                     {{"Authorization", "Bearer " + other.access}});
    ASSERT_EQ(r.status, 204) << r.describe();
    EXPECT_TRUE(sse.wait_for_close(k_patience));
    const auto m = ws.read(k_patience);
    ASSERT_TRUE(m.closed);
    EXPECT_EQ(m.close_code, 4001);
}

// The scenario entirely over HTTP: a PUT through A reaches an SSE and
// a WebSocket client on B; another account's streams on B get nothing; and
// revoking the device through A drops its streams on B.
TEST_F(ServerLiveInstances, APutThroughAReachesBAndADeviceRevokeThroughADropsBsStreams) {
    start_server();  // A
    start_server();  // B
    const auto me = register_and_login("http-multi");
    const auto stranger = register_and_login("http-stranger");
    const HttpHeaders auth{{"Authorization", "Bearer " + me.access}};
    SseClient sse(server(1).host(), server(1).port(), "/v1/events/stream", auth);
    ASSERT_EQ(sse.status(), 200) << sse.error_body();
    WsClient ws(server(1).host(), server(1).port(), "/v1/ws", auth);
    const HttpHeaders stranger_auth{{"Authorization", "Bearer " + stranger.access}};
    SseClient stranger_sse(server(1).host(), server(1).port(), "/v1/events/stream", stranger_auth);
    ASSERT_EQ(stranger_sse.status(), 200) << stranger_sse.error_body();
    wait_for_subscribers(3, 1);

    const auto put =
        http_request(server(0).host(), server(0).port(), "PUT", "/v1/states/through-a",
                     {{"Authorization", "Bearer " + me.access},
                      {"Content-Type", "application/json"},
                      {"If-None-Match", "*"}},
                     json{{"state", "AQID"}, {"nonce", base64_encode(Bytes(24, 7))}}.dump());
    ASSERT_EQ(put.status, 201) << put.describe();
    const std::int64_t seq = json::parse(put.body)["seq"];
    EXPECT_EQ(sse_seq(sse), seq);
    EXPECT_EQ(ws_seq(ws), seq);

    // The other account's stream saw nothing of it: its first event is its own.
    const auto own =
        http_request(server(0).host(), server(0).port(), "PUT", "/v1/states/mine",
                     {{"Authorization", "Bearer " + stranger.access},
                      {"Content-Type", "application/json"},
                      {"If-None-Match", "*"}},
                     json{{"state", "AQID"}, {"nonce", base64_encode(Bytes(24, 7))}}.dump());
    ASSERT_EQ(own.status, 201) << own.describe();
    const auto first = stranger_sse.next_event(k_patience);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(json::parse(first->data)["key"], "mine");

    // Another device of the account revokes this one through A.
    const auto admin = login(me.email);
    const auto revoke =
        http_request(server(0).host(), server(0).port(), "DELETE", "/v1/devices/" + me.device_id,
                     {{"Authorization", "Bearer " + admin.access}});
    ASSERT_EQ(revoke.status, 204) << revoke.describe();
    EXPECT_TRUE(sse.wait_for_close(k_patience));
    const auto m = ws.read(k_patience);
    ASSERT_TRUE(m.closed);
    EXPECT_EQ(m.close_code, 4001);
    // The stranger's stream is untouched.
    EXPECT_EQ(get("/v1/events", stranger.access, 1).status, 200);
}

TEST_F(ServerLiveInstances, SigtermClosesOpenStreamsAndExitsZero) {
    start_server();
    const auto me = register_and_login("term");
    const HttpHeaders auth{{"Authorization", "Bearer " + me.access}};
    SseClient sse(server().host(), server().port(), "/v1/events/stream", auth);
    ASSERT_EQ(sse.status(), 200);
    WsClient ws(server().host(), server().port(), "/v1/ws", auth);
    auto poll = std::async(std::launch::async,
                           [&] { return get("/v1/events?after=0&wait=25", me.access); });
    wait_for_subscribers(3);

    server().signal(SIGTERM);
    const auto m = ws.read(k_patience);
    ASSERT_TRUE(m.closed);
    EXPECT_EQ(m.close_code, 1001);  // going away
    EXPECT_TRUE(sse.wait_for_close(k_patience));
    const auto answer = poll.get();  // the long poll gets its (empty) page
    EXPECT_EQ(answer.status, 200) << answer.describe();
    EXPECT_EQ(answer.header("Connection").value_or(""), "close");
    const auto status = server().wait(std::chrono::seconds(10));
    ASSERT_TRUE(status) << "still running 10 s after SIGTERM";
    EXPECT_EQ(status->exit_code, 0) << server().err();
}

}  // namespace
}  // namespace edgesync::test
