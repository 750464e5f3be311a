// PUT/GET/DELETE /v1/states/{key} of edgesync-server end to end: preconditions,
// errors, byte-exact storage and account isolation.
#include <string>

#include "tests/e2e/test_server_states_fixture.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

Bytes every_byte_value(std::size_t repeat) {
    Bytes b;
    for (std::size_t r = 0; r < repeat; ++r)
        for (int v = 0; v < 256; ++v) b.push_back(static_cast<std::uint8_t>(v));
    return b;
}

TEST_F(ServerStates, CreateReadUpdateDeleteAndRecreate) {
    const auto c = sign_up("crud");
    const auto created = create(c, "k1", to_bytes("one"));
    ASSERT_EQ(created.status, 201) << created.describe();
    EXPECT_EQ(body_of(created)["version"], 1);
    const auto seq1 = body_of(created)["seq"].get<std::int64_t>();
    EXPECT_EQ(created.header("ETag").value_or(""), "\"1\"");

    const auto got = call(c, "GET", "/v1/states/k1");
    ASSERT_EQ(got.status, 200) << got.describe();
    EXPECT_EQ(got.header("ETag").value_or(""), "\"1\"");
    const auto s = body_of(got);
    EXPECT_EQ(s["key"], "k1");
    EXPECT_EQ(s["version"], 1);
    EXPECT_EQ(s["seq"], seq1);
    EXPECT_EQ(s["device_id"], c.device_id);
    EXPECT_EQ(s["size"], 3);
    EXPECT_EQ(s["deleted"], false);
    EXPECT_EQ(s["state"], base64_encode(to_bytes("one")));
    EXPECT_EQ(s["nonce"], base64_encode(Bytes(24, 0x11)));
    EXPECT_TRUE(s["updated_at"].is_string());

    const auto cached = call(c, "GET", "/v1/states/k1", {{"If-None-Match", "\"1\""}});
    EXPECT_EQ(cached.status, 304) << cached.describe();
    EXPECT_TRUE(cached.body.empty());
    EXPECT_EQ(cached.header("ETag").value_or(""), "\"1\"");

    const auto updated = update(c, "k1", to_bytes("two"), 1);
    ASSERT_EQ(updated.status, 200) << updated.describe();
    EXPECT_EQ(body_of(updated)["version"], 2);
    EXPECT_EQ(body_of(updated)["seq"], seq1 + 1);
    EXPECT_EQ(updated.header("ETag").value_or(""), "\"2\"");
    EXPECT_EQ(call(c, "GET", "/v1/states/k1", {{"If-None-Match", "\"1\""}}).status, 200);
    EXPECT_EQ(body_of(call(c, "GET", "/v1/states/k1"))["state"], base64_encode(to_bytes("two")));

    const auto removed = call(c, "DELETE", "/v1/states/k1", {{"If-Match", "\"2\""}});
    ASSERT_EQ(removed.status, 200) << removed.describe();
    EXPECT_EQ(body_of(removed)["version"], 3);
    EXPECT_EQ(body_of(removed)["seq"], seq1 + 2);

    // A tombstone reads as 404 `deleted`, with its metadata and no blob.
    const auto gone = call(c, "GET", "/v1/states/k1");
    expect_error(gone, 404, "deleted");
    const auto tomb = body_of(gone)["current"];
    EXPECT_EQ(tomb["version"], 3);
    EXPECT_EQ(tomb["deleted"], true);
    EXPECT_FALSE(tomb.contains("state"));
    EXPECT_FALSE(tomb.contains("nonce"));

    // A deleted key is created again, continuing its version.
    const auto again = create(c, "k1", to_bytes("three"));
    ASSERT_EQ(again.status, 201) << again.describe();
    EXPECT_EQ(body_of(again)["version"], 4);
}

TEST_F(ServerStates, WriteWithoutPreconditionIs428) {
    const auto c = sign_up("428");
    expect_error(put(c, "k", to_bytes("x"), {}), 428, "precondition_required");
    ASSERT_EQ(create(c, "k", to_bytes("x")).status, 201);
    expect_error(call(c, "DELETE", "/v1/states/k"), 428, "precondition_required");
    expect_error(call(c, "DELETE", "/v1/states/k", {{"If-None-Match", "*"}}), 428,
                 "precondition_required");
    EXPECT_EQ(body_of(call(c, "GET", "/v1/states/k"))["version"], 1);
}

TEST_F(ServerStates, StalePreconditionIs412WithTheCurrentState) {
    const auto c = sign_up("412");
    ASSERT_EQ(create(c, "k", to_bytes("v1")).status, 201);
    ASSERT_EQ(update(c, "k", to_bytes("v2"), 1).status, 200);

    const auto stale = update(c, "k", to_bytes("lost"), 1);
    expect_error(stale, 412, "precondition_failed");
    const auto current = body_of(stale)["current"];
    EXPECT_EQ(current["version"], 2);
    EXPECT_EQ(current["state"], base64_encode(to_bytes("v2")));
    EXPECT_EQ(current["device_id"], c.device_id);

    expect_error(create(c, "k", to_bytes("dup")), 412, "precondition_failed");
    expect_error(call(c, "DELETE", "/v1/states/k", {{"If-Match", "\"1\""}}), 412,
                 "precondition_failed");
    EXPECT_EQ(body_of(call(c, "GET", "/v1/states/k"))["state"], base64_encode(to_bytes("v2")));
}

TEST_F(ServerStates, UnknownKeyIs404) {
    const auto c = sign_up("404");
    expect_error(call(c, "GET", "/v1/states/nope"), 404, "not_found");
    expect_error(update(c, "nope", to_bytes("x"), 1), 404, "not_found");
    expect_error(call(c, "DELETE", "/v1/states/nope", {{"If-Match", "\"1\""}}), 404, "not_found");
    EXPECT_EQ(last_seq(c), 0);
}

TEST_F(ServerStates, BlobOverMaxBlobBytesIs413) {
    const auto c = sign_up("413");
    const Bytes big(4 * 1024 * 1024 + 1, 0x5a);
    expect_error(create(c, "big", big), 413, "payload_too_large");
    expect_error(call(c, "GET", "/v1/states/big"), 404, "not_found");
    EXPECT_EQ(create(c, "max", Bytes(4 * 1024 * 1024, 0x5a)).status, 201);
}

TEST_F(ServerStates, WriteOverQuotaIs413QuotaExceeded) {
    const auto c = sign_up("quota");
    {
        pqxx::connection conn(m_db.url());
        pqxx::nontransaction tx(conn);
        tx.exec_params("UPDATE accounts SET quota_bytes = 100 WHERE id = $1", c.account_id);
    }
    ASSERT_EQ(create(c, "a", Bytes(60, 1)).status, 201);
    expect_error(create(c, "b", Bytes(41, 1)), 413, "quota_exceeded");
    expect_error(update(c, "a", Bytes(101, 1), 1), 413, "quota_exceeded");
    EXPECT_EQ(create(c, "b", Bytes(40, 1)).status, 201);
    EXPECT_EQ(last_seq(c), 2);
}

TEST_F(ServerStates, MalformedInputIs4xx) {
    const auto c = sign_up("bad");
    const auto nonce = base64_encode(Bytes(24, 1));
    const HttpHeaders create_it{{"If-None-Match", "*"}};
    expect_error(call(c, "PUT", "/v1/states/k", create_it,
                      json{{"state", "not base64!"}, {"nonce", nonce}}.dump()),
                 400, "invalid_request");
    expect_error(call(c, "PUT", "/v1/states/k", create_it,
                      json{{"state", "AAAA"}, {"nonce", base64_encode(Bytes(12, 1))}}.dump()),
                 400, "invalid_request");
    expect_error(call(c, "PUT", "/v1/states/k", create_it, json{{"nonce", nonce}}.dump()), 400,
                 "invalid_request");
    expect_error(call(c, "PUT", "/v1/states/k", create_it, "[1,2]"), 400, "invalid_request");
    expect_error(call(c, "PUT", "/v1/states/k", create_it, "{\"state\":"), 400, "malformed_json");
    expect_error(send("PUT", "/v1/states/k",
                      {{"Authorization", "Bearer " + c.token},
                       {"If-None-Match", "*"},
                       {"Content-Type", "text/plain"}},
                      put_body(to_bytes("x"), Bytes(24, 1))),
                 415, "unsupported_media_type");

    expect_error(create(c, "a%20b", to_bytes("x")), 400, "invalid_key");
    expect_error(create(c, "caf%C3%A9", to_bytes("x")), 400, "invalid_key");
    expect_error(create(c, std::string(257, 'k'), to_bytes("x")), 400, "invalid_key");
    EXPECT_EQ(create(c, std::string(256, 'k'), to_bytes("x")).status, 201);
    EXPECT_EQ(create(c, "AZaz09._~-", to_bytes("x")).status, 201);
    expect_error(call(c, "GET", "/v1/states/a%2Cb"), 400, "invalid_key");

    expect_error(put(c, "k", to_bytes("x"), {{"If-Match", "1"}}), 400, "invalid_precondition");
    expect_error(put(c, "k", to_bytes("x"), {{"If-Match", "\"0\""}}), 400, "invalid_precondition");
    expect_error(put(c, "k", to_bytes("x"), {{"If-None-Match", "\"1\""}}), 400,
                 "invalid_precondition");
    expect_error(put(c, "k", to_bytes("x"), {{"If-None-Match", "*"}, {"If-Match", "\"1\""}}), 400,
                 "invalid_precondition");

    const auto anonymous =
        send("PUT", "/v1/states/k", {{"If-None-Match", "*"}, {"Content-Type", "application/json"}},
             put_body(to_bytes("x"), Bytes(24, 1)));
    expect_error(anonymous, 401, "invalid_token");
    expect_error(send("GET", "/v1/states/k"), 401, "invalid_token");
    expect_error(send("GET", "/v1/states"), 401, "invalid_token");
    expect_error(send("POST", "/v1/states:batch", {{"Content-Type", "application/json"}},
                      R"({"writes":[]})"),
                 401, "invalid_token");
    EXPECT_EQ(last_seq(c), 2);
}

TEST_F(ServerStates, StoredBytesEqualTheBytesSentForEveryByteValue) {
    const auto c = sign_up("bytes");
    const Bytes state = every_byte_value(4);
    Bytes nonce(24);
    for (std::size_t i = 0; i < nonce.size(); ++i)
        nonce[i] = static_cast<std::uint8_t>(i % 2 == 0 ? 0xff - i : i);
    nonce[0] = 0x00;
    ASSERT_EQ(put(c, "all-bytes", state, {{"If-None-Match", "*"}}, nonce).status, 201);

    {
        pqxx::connection conn(m_db.url());
        pqxx::nontransaction tx(conn);
        const auto row = tx.exec_params1(
            "SELECT state, nonce, device_id::text, size FROM encrypted_states "
            "WHERE account_id = $1 AND key = 'all-bytes'",
            c.account_id);
        const pqxx::binarystring stored_state(row[0]);
        const pqxx::binarystring stored_nonce(row[1]);
        EXPECT_EQ(Bytes(stored_state.data(), stored_state.data() + stored_state.size()), state);
        EXPECT_EQ(Bytes(stored_nonce.data(), stored_nonce.data() + stored_nonce.size()), nonce);
        EXPECT_EQ(row[2].as<std::string>(), c.device_id);
        EXPECT_EQ(row[3].as<std::size_t>(), state.size());
    }

    const auto got = body_of(call(c, "GET", "/v1/states/all-bytes"));
    Bytes got_state, got_nonce;
    ASSERT_TRUE(base64_decode(got["state"].get<std::string>(), got_state));
    ASSERT_TRUE(base64_decode(got["nonce"].get<std::string>(), got_nonce));
    EXPECT_EQ(got_state, state);
    EXPECT_EQ(got_nonce, nonce);

    const auto feed = body_of(call(c, "GET", "/v1/states"));
    ASSERT_EQ(feed["states"].size(), 1U);
    EXPECT_EQ(feed["states"][0]["state"], got["state"]);
    EXPECT_EQ(feed["states"][0]["nonce"], got["nonce"]);
}

TEST_F(ServerStates, AnotherAccountsStatesDoNotExistForTheCaller) {
    const auto owner = sign_up("owner");
    const auto other = sign_up("other");
    ASSERT_EQ(create(owner, "shared-name", to_bytes("owner's")).status, 201);

    expect_error(call(other, "GET", "/v1/states/shared-name"), 404, "not_found");
    expect_error(update(other, "shared-name", to_bytes("x"), 1), 404, "not_found");
    expect_error(call(other, "DELETE", "/v1/states/shared-name", {{"If-Match", "\"1\""}}), 404,
                 "not_found");
    const auto batch = call(other, "POST", "/v1/states:batch", {},
                            json{{"writes",
                                  {{{"key", "shared-name"},
                                    {"op", "put"},
                                    {"if_match", 1},
                                    {"state", base64_encode(to_bytes("x"))},
                                    {"nonce", base64_encode(Bytes(24, 1))}}}}}
                                .dump());
    expect_error(batch, 404, "not_found");
    const auto feed = body_of(call(other, "GET", "/v1/states"));
    EXPECT_TRUE(feed["states"].empty());
    EXPECT_EQ(feed["more"], false);

    // The same name is a separate key of the other account.
    ASSERT_EQ(create(other, "shared-name", to_bytes("other's")).status, 201);
    const auto mine = body_of(call(owner, "GET", "/v1/states/shared-name"));
    EXPECT_EQ(mine["state"], base64_encode(to_bytes("owner's")));
    EXPECT_EQ(mine["version"], 1);
    EXPECT_EQ(mine["device_id"], owner.device_id);
    EXPECT_EQ(body_of(call(owner, "GET", "/v1/states"))["states"].size(), 1U);
    EXPECT_EQ(last_seq(owner), 1);
    EXPECT_EQ(last_seq(other), 1);
}

}  // namespace
}  // namespace edgesync::test
