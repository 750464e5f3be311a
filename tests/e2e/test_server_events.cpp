// GET /v1/events: pages of the event log and the long poll, against the real
// server, Postgres and Redis.
#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>

#include "tests/e2e/live_fixture.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

class ServerEvents : public LiveServerTest {
  protected:
    void SetUp() override { start_server(); }

    json page(const LiveLogin& who, const std::string& query) {
        const auto r = get("/v1/events" + query, who.access);
        EXPECT_EQ(r.status, 200) << r.describe();
        return json::parse(r.body, nullptr, false);
    }

    // A long poll on its own thread: the request is sent at once.
    std::future<HttpResponse> poll(const LiveLogin& who, const std::string& query) {
        return std::async(std::launch::async, [this, token = who.access, query] {
            return get("/v1/events" + query, token);
        });
    }
};

void expect_error(const HttpResponse& r, int status, std::string_view code) {
    EXPECT_EQ(r.status, status) << r.describe();
    const auto body = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.describe();
    EXPECT_EQ(body["error"]["code"], code) << r.describe();
}

TEST_F(ServerEvents, PagesListEventsInOrderWithNextAndMore) {
    const auto me = register_and_login("page");
    for (int i = 1; i <= 5; ++i) (void)put(me, "key-" + std::to_string(i));

    auto p = page(me, "?after=0&limit=2");
    ASSERT_EQ(p["events"].size(), 2U) << p.dump();
    EXPECT_EQ(p["events"][0]["seq"], 1);
    EXPECT_EQ(p["events"][1]["seq"], 2);
    EXPECT_EQ(p["next"], 2);
    EXPECT_EQ(p["more"], true);
    const auto& e = p["events"][0];
    EXPECT_EQ(e["event_type"], "state.put");
    EXPECT_EQ(e["key"], "key-1");
    EXPECT_EQ(e["device_id"], me.device_id);
    EXPECT_EQ(e["version"], 1);
    EXPECT_TRUE(e["created_at"].is_string());

    p = page(me, "?after=2&limit=3");
    ASSERT_EQ(p["events"].size(), 3U) << p.dump();
    EXPECT_EQ(p["events"][2]["seq"], 5);
    EXPECT_EQ(p["next"], 5);
    EXPECT_EQ(p["more"], false);

    p = page(me, "?after=5");
    EXPECT_TRUE(p["events"].empty());
    EXPECT_EQ(p["next"], 5);
    EXPECT_EQ(p["more"], false);
}

TEST_F(ServerEvents, AnotherAccountSeesNoneOfMyEvents) {
    const auto me = register_and_login("mine");
    const auto other = register_and_login("other");
    (void)put(me, "secret");
    EXPECT_TRUE(page(other, "?after=0")["events"].empty());
}

TEST_F(ServerEvents, BadParametersAre400AndNoTokenIs401) {
    const auto me = register_and_login("bad");
    expect_error(get("/v1/events?after=-1", me.access), 400, "invalid_query");
    expect_error(get("/v1/events?limit=0", me.access), 400, "invalid_query");
    expect_error(get("/v1/events?limit=abc", me.access), 400, "invalid_query");
    expect_error(get("/v1/events?wait=31", me.access), 400, "invalid_query");
    expect_error(http_request(server().host(), server().port(), "GET", "/v1/events"), 401,
                 "invalid_token");
}

TEST_F(ServerEvents, LongPollAnswersWhenAnEventIsCommitted) {
    const auto me = register_and_login("poll");
    (void)put(me, "first");
    auto answer = poll(me, "?after=1&wait=25");
    wait_for_subscribers(1);  // the poll is waiting on the hub, not on a worker
    const auto w = put(me, "second");

    const auto r = answer.get();
    ASSERT_EQ(r.status, 200) << r.describe();
    const auto p = json::parse(r.body);
    ASSERT_EQ(p["events"].size(), 1U) << r.body;
    EXPECT_EQ(p["events"][0]["seq"], w.seq);
    EXPECT_EQ(p["events"][0]["key"], "second");
    EXPECT_EQ(p["next"], w.seq);
}

TEST_F(ServerEvents, LongPollWithEventsAlreadyThereAnswersAtOnce) {
    const auto me = register_and_login("ready");
    (void)put(me, "there", /*publish=*/false);
    const auto p = page(me, "?after=0&wait=25");
    ASSERT_EQ(p["events"].size(), 1U);
}

TEST_F(ServerEvents, LongPollAnswersEmptyWhenTheWaitEnds) {
    const auto me = register_and_login("empty");
    const auto p = page(me, "?after=0&wait=1");
    EXPECT_TRUE(p["events"].empty());
    EXPECT_EQ(p["next"], 0);
    EXPECT_EQ(p["more"], false);
}

TEST_F(ServerEvents, TheConnectionIsKeptAliveAfterALongPoll) {
    const auto me = register_and_login("keep");
    HttpConnection c(server().host(), server().port());
    const HttpHeaders auth{{"Authorization", "Bearer " + me.access}};
    const auto waited = c.request("GET", "/v1/events?after=0&wait=1", auth);
    ASSERT_EQ(waited.status, 200) << waited.describe();
    EXPECT_NE(waited.header("Connection").value_or(""), "close");
    (void)put(me, "next");
    const auto again = c.request("GET", "/v1/events?after=0", auth);
    ASSERT_EQ(again.status, 200) << again.describe();
    EXPECT_EQ(json::parse(again.body)["events"].size(), 1U);
}

TEST_F(ServerEvents, LongPollOfARevokedSessionIs401) {
    const auto me = register_and_login("revoked");
    auto answer = poll(me, "?after=0&wait=25");
    wait_for_subscribers(1);
    publish_revocation_of(RevocationNotice::for_session(me.account_id, me.session_id));
    expect_error(answer.get(), 401, "invalid_token");
}

TEST_F(ServerEvents, LongPollIgnoresOtherAccountsEvents) {
    const auto me = register_and_login("quiet");
    const auto other = register_and_login("noisy");
    auto answer = poll(me, "?after=0&wait=2");
    wait_for_subscribers(1);
    (void)put(other, "not-mine");
    const auto r = answer.get();
    ASSERT_EQ(r.status, 200) << r.describe();
    EXPECT_TRUE(json::parse(r.body)["events"].empty());
}

}  // namespace
}  // namespace edgesync::test
