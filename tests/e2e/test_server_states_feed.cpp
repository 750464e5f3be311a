// GET /v1/states (the changes feed), POST /v1/states:batch and the live
// messages state writes publish, end to end.
#include <string>
#include <vector>

#include "shared/config/config.hpp"
#include "shared/db/redis_keys.hpp"
#include "shared/db/redis_subscriber.hpp"
#include "shared/services/live_message.hpp"
#include "tests/e2e/test_server_states_fixture.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

json put_item(const std::string& key, const json& precondition, const std::string& text) {
    json item = {{"key", key},
                 {"op", "put"},
                 {"state", base64_encode(to_bytes(text))},
                 {"nonce", base64_encode(Bytes(24, 3))}};
    item.update(precondition);
    return item;
}
json delete_item(const std::string& key, std::int64_t version) {
    return {{"key", key}, {"op", "delete"}, {"if_match", version}};
}
const json k_create = {{"if_none_match", true}};
json if_match(std::int64_t v) { return {{"if_match", v}}; }

std::vector<std::string> keys_of(const json& feed) {
    std::vector<std::string> keys;
    for (const auto& s : feed["states"]) keys.push_back(s["key"]);
    return keys;
}

TEST_F(ServerStates, FeedPagesThroughLatestChangesWithTombstones) {
    const auto c = sign_up("feed");
    ASSERT_EQ(create(c, "a", to_bytes("a1")).status, 201);                              // 1
    ASSERT_EQ(create(c, "b", to_bytes("b1")).status, 201);                              // 2
    ASSERT_EQ(create(c, "c", to_bytes("c1")).status, 201);                              // 3
    ASSERT_EQ(call(c, "DELETE", "/v1/states/b", {{"If-Match", "\"1\""}}).status, 200);  // 4
    ASSERT_EQ(update(c, "a", to_bytes("a2"), 1).status, 200);                           // 5

    const auto first = body_of(call(c, "GET", "/v1/states?after=0&limit=2"));
    EXPECT_EQ(keys_of(first), (std::vector<std::string>{"c", "b"}));
    EXPECT_EQ(first["next"], 4);
    EXPECT_EQ(first["more"], true);
    const auto& tomb = first["states"][1];
    EXPECT_EQ(tomb["deleted"], true);
    EXPECT_EQ(tomb["version"], 2);
    EXPECT_EQ(tomb["seq"], 4);
    EXPECT_FALSE(tomb.contains("state"));
    EXPECT_EQ(first["states"][0]["state"], base64_encode(to_bytes("c1")));

    const auto second = body_of(call(c, "GET", "/v1/states?after=4&limit=2"));
    EXPECT_EQ(keys_of(second), (std::vector<std::string>{"a"}));
    EXPECT_EQ(second["states"][0]["state"], base64_encode(to_bytes("a2")));
    EXPECT_EQ(second["next"], 5);
    EXPECT_EQ(second["more"], false);

    const auto caught_up = body_of(call(c, "GET", "/v1/states?after=5"));
    EXPECT_TRUE(caught_up["states"].empty());
    EXPECT_EQ(caught_up["next"], 5);
    EXPECT_EQ(caught_up["more"], false);

    EXPECT_EQ(keys_of(body_of(call(c, "GET", "/v1/states"))),
              (std::vector<std::string>{"c", "b", "a"}));
}

TEST_F(ServerStates, FeedPageStopsAtItsByteBudget) {
    const auto c = sign_up("budget");
    const Bytes blob(1536 * 1024, 0x42);  // three of them pass the 4 MiB page budget
    for (const auto* key : {"x", "y", "z"}) ASSERT_EQ(create(c, key, blob).status, 201);
    const auto first = body_of(call(c, "GET", "/v1/states?limit=10"));
    EXPECT_EQ(keys_of(first), (std::vector<std::string>{"x", "y"}));
    EXPECT_EQ(first["more"], true);
    const auto second =
        body_of(call(c, "GET", "/v1/states?limit=10&after=" + first["next"].dump()));
    EXPECT_EQ(keys_of(second), (std::vector<std::string>{"z"}));
    EXPECT_EQ(second["more"], false);
}

TEST_F(ServerStates, FeedRejectsMalformedNumbers) {
    const auto c = sign_up("query");
    for (const auto* q : {"after=-1", "after=x", "after=", "limit=0", "limit=1001", "limit=1e3",
                          "after=99999999999999999999"})
        expect_error(call(c, "GET", std::string("/v1/states?") + q), 400, "invalid_query");
    EXPECT_EQ(call(c, "GET", "/v1/states?limit=1000&after=0").status, 200);
}

TEST_F(ServerStates, BatchAppliesEveryWriteInOrder) {
    const auto c = sign_up("batch");
    ASSERT_EQ(create(c, "old", to_bytes("o1")).status, 201);   // seq 1
    ASSERT_EQ(create(c, "gone", to_bytes("g1")).status, 201);  // seq 2
    const json writes = {{"writes",
                          {put_item("new", k_create, "n1"), put_item("old", if_match(1), "o2"),
                           delete_item("gone", 1), put_item("new", if_match(1), "n2")}}};
    const auto r = call(c, "POST", "/v1/states:batch", {}, writes.dump());
    ASSERT_EQ(r.status, 200) << r.describe();
    const auto results = body_of(r)["results"];
    ASSERT_EQ(results.size(), 4U);
    const std::vector<std::pair<std::string, int>> expected = {
        {"new", 1}, {"old", 2}, {"gone", 2}, {"new", 2}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(results[i]["key"], expected[i].first);
        EXPECT_EQ(results[i]["version"], expected[i].second);
        EXPECT_EQ(results[i]["seq"], static_cast<int>(i) + 3);
    }
    EXPECT_EQ(body_of(call(c, "GET", "/v1/states/new"))["state"], base64_encode(to_bytes("n2")));
    EXPECT_EQ(body_of(call(c, "GET", "/v1/states/old"))["state"], base64_encode(to_bytes("o2")));
    expect_error(call(c, "GET", "/v1/states/gone"), 404, "deleted");
    EXPECT_EQ(body_of(call(c, "GET", "/v1/states/new"))["device_id"], c.device_id);
}

TEST_F(ServerStates, BatchWithOneFailingItemWritesNothing) {
    const auto c = sign_up("atomic");
    ASSERT_EQ(create(c, "k", to_bytes("v1")).status, 201);
    ASSERT_EQ(update(c, "k", to_bytes("v2"), 1).status, 200);
    const json writes = {{"writes",
                          {put_item("fresh", k_create, "f"), put_item("k", if_match(1), "stale"),
                           put_item("later", k_create, "l")}}};
    const auto r = call(c, "POST", "/v1/states:batch", {}, writes.dump());
    expect_error(r, 412, "precondition_failed");
    EXPECT_EQ(body_of(r)["index"], 1);
    EXPECT_EQ(body_of(r)["current"]["version"], 2);
    EXPECT_EQ(body_of(r)["current"]["state"], base64_encode(to_bytes("v2")));

    expect_error(call(c, "GET", "/v1/states/fresh"), 404, "not_found");
    expect_error(call(c, "GET", "/v1/states/later"), 404, "not_found");
    EXPECT_EQ(last_seq(c), 2);
    EXPECT_EQ(body_of(call(c, "GET", "/v1/states"))["next"], 2);

    const json missing = {{"writes", {put_item("fresh", k_create, "f"), delete_item("nope", 1)}}};
    const auto r2 = call(c, "POST", "/v1/states:batch", {}, missing.dump());
    expect_error(r2, 404, "not_found");
    EXPECT_EQ(body_of(r2)["index"], 1);
    EXPECT_EQ(last_seq(c), 2);
}

TEST_F(ServerStates, BatchLimitsAndMalformedItemsAreRejectedWithTheirIndex) {
    const auto c = sign_up("limits");
    json many = json::array();
    for (std::size_t i = 0; i <= k_batch_items; ++i)
        many.push_back(put_item("k" + std::to_string(i), k_create, "x"));
    expect_error(call(c, "POST", "/v1/states:batch", {}, json{{"writes", many}}.dump()), 413,
                 "payload_too_large");

    const std::string half(k_batch_bytes / 2, 'h');
    const json heavy = {{"writes",
                         {put_item("h1", k_create, half), put_item("h2", k_create, half),
                          put_item("h3", k_create, "!")}}};
    const auto r = call(c, "POST", "/v1/states:batch", {}, heavy.dump());
    expect_error(r, 413, "payload_too_large");
    EXPECT_EQ(body_of(r)["index"], 2);

    const auto item_error = [&](const json& item, int status, std::string_view code) {
        const json body = {{"writes", {put_item("ok", k_create, "x"), item}}};
        const auto res = call(c, "POST", "/v1/states:batch", {}, body.dump());
        expect_error(res, status, code);
        EXPECT_EQ(body_of(res)["index"], 1) << res.describe();
    };
    item_error(put_item("bad key", k_create, "x"), 400, "invalid_key");
    item_error(put_item("p", json::object(), "x"), 428, "precondition_required");
    item_error({{"key", "d"}, {"op", "delete"}}, 428, "precondition_required");
    item_error(put_item("p", {{"if_match", 1}, {"if_none_match", true}}, "x"), 400,
               "invalid_precondition");
    item_error(put_item("p", {{"if_match", "1"}}, "x"), 400, "invalid_precondition");
    item_error({{"key", "p"}, {"op", "move"}, {"if_match", 1}}, 400, "invalid_request");
    item_error({{"key", "p"}, {"op", "put"}, {"if_match", 1}, {"state", "%%"}}, 400,
               "invalid_request");
    expect_error(call(c, "POST", "/v1/states:batch", {}, R"({"writes":{}})"), 400,
                 "invalid_request");
    expect_error(call(c, "POST", "/v1/states:batch", {}, "{"), 400, "malformed_json");
    EXPECT_EQ(last_seq(c), 0);

    // The literal route sits beside /v1/states and /v1/states/{key}.
    expect_error(call(c, "GET", "/v1/states:batch"), 405, "method_not_allowed");
    const auto empty = call(c, "POST", "/v1/states:batch", {}, R"({"writes":[]})");
    ASSERT_EQ(empty.status, 200) << empty.describe();
    EXPECT_TRUE(body_of(empty)["results"].empty());
}

TEST_F(ServerStates, EveryCommittedWriteIsPublishedOnTheAccountChannel) {
    const auto c = sign_up("live");
    RedisSubscriber sub(parse_redis_url(redis_url()));
    sub.subscribe({redis_keys::account_channel(c.account_id)});

    const auto before = now();
    ASSERT_EQ(create(c, "k", to_bytes("v1")).status, 201);
    ASSERT_EQ(call(c, "DELETE", "/v1/states/k", {{"If-Match", "\"1\""}}).status, 200);
    expect_error(update(c, "k", to_bytes("x"), 1), 412, "precondition_failed");  // not published
    const json writes = {
        {"writes", {put_item("b1", k_create, "x"), put_item("b2", k_create, "y")}}};
    ASSERT_EQ(call(c, "POST", "/v1/states:batch", {}, writes.dump()).status, 200);

    const std::vector<LiveEvent> expected = {{1, "state.put", "k", c.device_id, 1, {}},
                                             {2, "state.delete", "k", c.device_id, 2, {}},
                                             {3, "state.put", "b1", c.device_id, 1, {}},
                                             {4, "state.put", "b2", c.device_id, 1, {}}};
    for (const auto& want : expected) {
        const auto m = sub.next_message(std::chrono::seconds(10));
        ASSERT_TRUE(m.has_value()) << "no message for seq " << want.seq;
        EXPECT_EQ(m->channel, redis_keys::account_channel(c.account_id));
        const auto parsed = parse_live_message(m->payload);
        ASSERT_TRUE(parsed.has_value()) << m->payload;
        const auto* event = std::get_if<LiveEvent>(&*parsed);
        ASSERT_NE(event, nullptr) << m->payload;
        auto got = *event;
        EXPECT_GE(got.at, before);
        got.at = {};
        EXPECT_EQ(got, want) << m->payload;
    }
    EXPECT_FALSE(sub.next_message(std::chrono::milliseconds(200)).has_value());
}

}  // namespace
}  // namespace edgesync::test
