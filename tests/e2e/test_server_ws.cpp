// GET /v1/ws: the WebSocket against the real server, Postgres and Redis —
// hello/after, live events, presence, ping/pong, revocation, bad frames.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/e2e/live_fixture.hpp"
#include "tests/support/ws_client.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

class ServerWs : public LiveServerTest {
  protected:
    void SetUp() override { start_server({{"SERVER_STREAM_HEARTBEAT", "300ms"}}); }

    std::unique_ptr<WsClient> open(const LiveLogin& who, std::size_t i = 0) {
        return std::make_unique<WsClient>(server(i).host(), server(i).port(), "/v1/ws",
                                          HttpHeaders{{"Authorization", "Bearer " + who.access}});
    }
};

json next_json(WsClient& ws) {
    const auto m = ws.read(k_patience);
    if (m.closed) {
        ADD_FAILURE() << "closed: " << m.close_code << " " << m.close_reason;
        return {};
    }
    return json::parse(m.text);
}

// The next frame, which must be an event; its seq.
std::int64_t next_event_seq(WsClient& ws) {
    const auto j = next_json(ws);
    EXPECT_EQ(j.value("type", ""), "event") << j.dump();
    return j.value("seq", std::int64_t{-1});
}

TEST_F(ServerWs, HelloAfterCatchesUpThenSendsLiveEvents) {
    const auto me = register_and_login("ws");
    (void)put(me, "k1");
    (void)put(me, "k2");
    auto ws = open(me);
    ws->send_text(R"({"type":"hello","after":0})");
    const auto first = next_json(*ws);
    EXPECT_EQ(first["type"], "event");
    EXPECT_EQ(first["seq"], 1);
    EXPECT_EQ(first["key"], "k1");
    EXPECT_EQ(first["event_type"], "state.put");
    EXPECT_EQ(first["device_id"], me.device_id);
    EXPECT_EQ(first["version"], 1);
    EXPECT_EQ(next_event_seq(*ws), 2);
    wait_for_subscribers(1);
    const auto w = put(me, "k3");
    EXPECT_EQ(next_event_seq(*ws), w.seq);
}

TEST_F(ServerWs, WithoutHelloItIsLiveFromNow) {
    const auto me = register_and_login("now");
    (void)put(me, "old");
    auto ws = open(me);
    wait_for_subscribers(1);
    const auto w = put(me, "new");
    EXPECT_EQ(next_event_seq(*ws), w.seq);
}

TEST_F(ServerWs, AccessTokenInTheQueryIsAcceptedAndNeverLogged) {
    const auto me = register_and_login("query");
    WsClient ws(server().host(), server().port(), "/v1/ws?access_token=" + me.access);
    ws.send_text(R"({"type":"ping"})");
    EXPECT_EQ(next_json(ws)["type"], "pong");
    EXPECT_EQ(server().err().find(me.access), std::string::npos);
}

TEST_F(ServerWs, PresenceChangesAreForwarded) {
    const auto me = register_and_login("presence");
    auto ws = open(me);
    wait_for_subscribers(1);
    const auto at = now();
    publish_live(m_publisher, me.account_id, PresenceChange{me.device_id, "away", at});
    const auto j = next_json(*ws);
    EXPECT_EQ(j["type"], "presence");
    EXPECT_EQ(j["device_id"], me.device_id);
    EXPECT_EQ(j["status"], "away");
    EXPECT_EQ(j["at"], format_rfc3339(at));
}

TEST_F(ServerWs, PingIsAnsweredWithPong) {
    const auto me = register_and_login("ping");
    auto ws = open(me);
    ws->send_text(R"({"type":"ping"})");
    EXPECT_EQ(next_json(*ws), json({{"type", "pong"}}));
}

TEST_F(ServerWs, AnIdleClientIsPinged) {
    const auto me = register_and_login("idle");
    auto ws = open(me);
    EXPECT_TRUE(ws->wait_for_ping(k_patience));
}

TEST_F(ServerWs, RevocationClosesWith4001) {
    const auto me = register_and_login("revoke");
    auto ws = open(me);
    wait_for_subscribers(1);
    publish_revocation_of(RevocationNotice::for_account(me.account_id));
    const auto m = ws->read(k_patience);
    ASSERT_TRUE(m.closed);
    EXPECT_EQ(m.close_code, 4001);
    EXPECT_EQ(m.close_reason, "revoked");
}

TEST_F(ServerWs, MalformedFramesCloseWithAPolicyCode) {
    const auto me = register_and_login("bad");
    const std::pair<std::string, int> cases[] = {
        {"not json", 1008},
        {R"(["type","ping"])", 1008},
        {R"({"type":"subscribe"})", 1008},
        {R"({"type":"hello","after":"zero"})", 1008},
        {R"({"type":"hello","after":-5})", 1008},
    };
    for (const auto& [text, code] : cases) {
        auto ws = open(me);
        ws->send_text(text);
        const auto m = ws->read(k_patience);
        ASSERT_TRUE(m.closed) << text;
        EXPECT_EQ(m.close_code, code) << text;
    }
    auto ws = open(me);
    ws->send_binary("\x01\x02");
    const auto m = ws->read(k_patience);
    ASSERT_TRUE(m.closed);
    EXPECT_EQ(m.close_code, 1003);
    // The server is still fine.
    EXPECT_EQ(http_request(server().host(), server().port(), "GET", "/health").status, 200);
}

TEST_F(ServerWs, WithoutAValidTokenTheUpgradeIs401) {
    EXPECT_EQ(ws_handshake_status(server().host(), server().port(), "/v1/ws"), 401);
    EXPECT_EQ(ws_handshake_status(server().host(), server().port(), "/v1/ws?access_token=nope"),
              401);
    const auto me = register_and_login("plain");
    // A plain GET (no upgrade) is refused too.
    EXPECT_EQ(get("/v1/ws", me.access).status, 400);
}

}  // namespace
}  // namespace edgesync::test
