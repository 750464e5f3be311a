// Wrapped account key routes of edgesync-server: the device's own key, the
// approval of another device, the recovery blob with its preconditions.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "shared/crypto/account_key.hpp"
#include "tests/e2e/server_account_fixture.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

class ServerKeys : public ServerAccountFixture {
  protected:
    // A well-formed recovery blob (the server cannot tell real from random).
    static json recovery_body(int version = 1) {
        return {{"salt", base64_encode(Bytes(16, 1))},
                {"opslimit", 3},
                {"memlimit", 256 * 1024 * 1024},
                {"nonce", base64_encode(Bytes(24, 2))},
                {"wrapped_key", base64_encode(Bytes(48, static_cast<std::uint8_t>(version)))},
                {"key_version", version}};
    }
    HttpResponse put_recovery(const DeviceLogin& as, const json& body, const HttpHeaders& h) {
        return call("PUT", "/v1/keys/recovery", as.access, body, h);
    }

    const Bytes m_account_key = Bytes(32, 0x42);
};

const HttpHeaders k_create{{"If-None-Match", "*"}};
HttpHeaders if_match(std::string_view v) { return {{"If-Match", std::string(v)}}; }

TEST_F(ServerKeys, FirstDeviceStoresItsOwnKeyAndReadsItBack) {
    const auto me = new_account("keys-first");
    expect_error(call("GET", "/v1/keys/device", me.access), 404, "key_not_found");
    const auto sealed = sealed_key_for(me, m_account_key);
    const auto put = call("PUT", "/v1/keys/devices/" + me.device_id, me.access,
                          {{"wrapped_key", sealed}, {"key_version", 1}});
    ASSERT_EQ(put.status, 200) << put.describe();
    EXPECT_EQ(body_of(put)["key_version"], 1);

    const auto got = call("GET", "/v1/keys/device", me.access);
    ASSERT_EQ(got.status, 200) << got.describe();
    EXPECT_EQ(body_of(got)["wrapped_key"], sealed);  // exactly the bytes sent
    EXPECT_EQ(body_of(got)["key_version"], 1);
    EXPECT_EQ(body_of(got)["device_id"], me.device_id);
    Bytes wrapped;
    ASSERT_TRUE(base64_decode(body_of(got)["wrapped_key"].get<std::string>(), wrapped));
    const auto opened = crypto::open_sealed(*me.keys, wrapped);
    ASSERT_TRUE(opened.has_value());

    const auto list = body_of(call("GET", "/v1/devices", me.access))["devices"];
    EXPECT_EQ(list[0]["has_wrapped_key"], true);
    EXPECT_EQ(list[0]["key_version"], 1);
}

TEST_F(ServerKeys, AKeyHolderApprovesAnotherDevice) {
    const auto email = register_account("keys-approve");
    const auto laptop = login(email, true, "laptop");
    const auto phone = login(email, true, "phone");
    store_own_key(laptop, m_account_key);
    expect_error(call("GET", "/v1/keys/device", phone.access), 404, "key_not_found");

    const auto sealed = sealed_key_for(phone, m_account_key);
    const auto approve = call("PUT", "/v1/keys/devices/" + phone.device_id, laptop.access,
                              {{"wrapped_key", sealed}, {"key_version", 1}});
    ASSERT_EQ(approve.status, 200) << approve.describe();
    EXPECT_EQ(body_of(approve)["device_id"], phone.device_id);
    const auto got = call("GET", "/v1/keys/device", phone.access);
    ASSERT_EQ(got.status, 200) << got.describe();
    EXPECT_EQ(body_of(got)["wrapped_key"], sealed);
}

TEST_F(ServerKeys, AKeylessDeviceCannotApproveNorPlantAKey) {
    const auto email = register_account("keys-keyless");
    const auto laptop = login(email, true, "laptop");
    const auto thief = login(email, true, "thief");
    store_own_key(laptop, m_account_key);
    const json planted = {{"wrapped_key", sealed_key_for(laptop, Bytes(32, 0x66))},
                          {"key_version", 1}};
    expect_error(call("PUT", "/v1/keys/devices/" + laptop.device_id, thief.access, planted), 403,
                 "forbidden");
    expect_error(
        call("PUT", "/v1/keys/devices/" + thief.device_id, thief.access,
             {{"wrapped_key", sealed_key_for(thief, Bytes(32, 0x66))}, {"key_version", 1}}),
        403, "forbidden");
    expect_error(put_recovery(thief, recovery_body(), k_create), 403, "forbidden");
    // The holder's key is untouched.
    const auto got = call("GET", "/v1/keys/device", laptop.access);
    ASSERT_EQ(got.status, 200);
    Bytes wrapped;
    ASSERT_TRUE(base64_decode(body_of(got)["wrapped_key"].get<std::string>(), wrapped));
    const auto opened = crypto::open_sealed(*laptop.keys, wrapped);
    ASSERT_TRUE(opened.has_value());
    EXPECT_EQ(Bytes(opened->data(), opened->data() + opened->size()), m_account_key);
}

TEST_F(ServerKeys, ApprovalRejectsBadTargetsAndInput) {
    const auto email = register_account("keys-checks");
    const auto laptop = login(email, true, "laptop");
    const auto phone = login(email, true, "phone");
    const auto browser = login(email, /*with_key=*/false);
    store_own_key(laptop, m_account_key);
    const std::string to_phone = "/v1/keys/devices/" + phone.device_id;
    const auto sealed = sealed_key_for(phone, m_account_key);

    expect_error(
        call("PUT", to_phone, laptop.access, {{"wrapped_key", sealed}, {"key_version", 2}}), 409,
        "conflict");  // not the version the approver holds
    expect_error(call("PUT", "/v1/keys/devices/" + browser.device_id, laptop.access,
                      {{"wrapped_key", sealed}, {"key_version", 1}}),
                 409, "conflict");  // no public key to seal to
    for (const std::size_t size : {std::size_t{47}, std::size_t{1025}})
        expect_error(call("PUT", to_phone, laptop.access,
                          {{"wrapped_key", base64_encode(Bytes(size, 1))}, {"key_version", 1}}),
                     400, "invalid_request");
    for (const json& version : {json(0), json(-1), json(4294967296LL), json("1"), json(1.5)})
        expect_error(call("PUT", to_phone, laptop.access,
                          {{"wrapped_key", sealed}, {"key_version", version}}),
                     400, "invalid_request");
    expect_error(call("PUT", to_phone, laptop.access, {{"wrapped_key", "***"}, {"key_version", 1}}),
                 400, "invalid_request");
    expect_error(raw("PUT", to_phone, laptop.access, "{", "application/json"), 400,
                 "malformed_json");
    expect_error(raw("PUT", to_phone, laptop.access, "{}", "text/plain"), 415,
                 "unsupported_media_type");
    expect_error(call("PUT", "/v1/keys/devices/nope", laptop.access,
                      {{"wrapped_key", sealed}, {"key_version", 1}}),
                 400, "invalid_uuid");
    expect_error(call("PUT", "/v1/keys/devices/" + std::string(k_unknown_uuid), laptop.access,
                      {{"wrapped_key", sealed}, {"key_version", 1}}),
                 404, "not_found");
    expect_error(call("PUT", to_phone, std::nullopt, {{"wrapped_key", sealed}, {"key_version", 1}}),
                 401, "invalid_token");
    expect_error(call("GET", "/v1/keys/device", std::nullopt), 401, "invalid_token");

    ASSERT_EQ(call("DELETE", "/v1/devices/" + phone.device_id, laptop.access).status, 204);
    expect_error(
        call("PUT", to_phone, laptop.access, {{"wrapped_key", sealed}, {"key_version", 1}}), 403,
        "revoked");
}

TEST_F(ServerKeys, AnotherAccountGets404ForEveryKeyRoute) {
    const auto alice = new_account("keys-alice");
    const auto mallory = new_account("keys-mallory");
    store_own_key(alice, m_account_key);
    store_own_key(mallory, Bytes(32, 0x66));
    ASSERT_EQ(put_recovery(alice, recovery_body(), k_create).status, 201);

    expect_error(
        call("PUT", "/v1/keys/devices/" + alice.device_id, mallory.access,
             {{"wrapped_key", sealed_key_for(alice, Bytes(32, 0x66))}, {"key_version", 1}}),
        404, "not_found");
    expect_error(call("GET", "/v1/keys/recovery", mallory.access), 404, "key_not_found");
    // Mallory's recovery writes land on her own account only.
    ASSERT_EQ(put_recovery(mallory, recovery_body(7), k_create).status, 201);
    EXPECT_EQ(body_of(call("GET", "/v1/keys/recovery", alice.access))["key_version"], 1);
    const auto mine = body_of(call("GET", "/v1/keys/device", alice.access));
    EXPECT_EQ(mine["wrapped_key"].get<std::string>().empty(), false);
    Bytes wrapped;
    ASSERT_TRUE(base64_decode(mine["wrapped_key"].get<std::string>(), wrapped));
    const auto opened = crypto::open_sealed(*alice.keys, wrapped);
    ASSERT_TRUE(opened.has_value());
    EXPECT_EQ(Bytes(opened->data(), opened->data() + opened->size()), m_account_key);
}

TEST_F(ServerKeys, RecoveryIsCreatedOnceAndReplacedWithIfMatch) {
    const auto me = new_account("keys-recovery");
    store_own_key(me, m_account_key);
    expect_error(call("GET", "/v1/keys/recovery", me.access), 404, "key_not_found");
    expect_error(put_recovery(me, recovery_body(), {}), 428, "precondition_required");
    expect_error(put_recovery(me, recovery_body(), if_match("\"1\"")), 412, "precondition_failed");

    const auto created = put_recovery(me, recovery_body(), k_create);
    ASSERT_EQ(created.status, 201) << created.describe();
    EXPECT_EQ(created.header("ETag").value_or(""), "\"1\"");
    const auto again = put_recovery(me, recovery_body(), k_create);
    expect_error(again, 412, "precondition_failed");
    EXPECT_EQ(body_of(again)["current"]["key_version"], 1);

    const auto got = call("GET", "/v1/keys/recovery", me.access);
    ASSERT_EQ(got.status, 200) << got.describe();
    EXPECT_EQ(got.header("ETag").value_or(""), "\"1\"");
    const auto b = body_of(got);
    for (const char* member :
         {"salt", "opslimit", "memlimit", "nonce", "wrapped_key", "key_version"})
        EXPECT_EQ(b[member], recovery_body()[member]) << member;

    expect_error(put_recovery(me, recovery_body(2), if_match("\"2\"")), 412, "precondition_failed");
    const auto replaced = put_recovery(me, recovery_body(2), if_match("\"1\""));
    ASSERT_EQ(replaced.status, 200) << replaced.describe();
    EXPECT_EQ(replaced.header("ETag").value_or(""), "\"2\"");
    EXPECT_EQ(body_of(call("GET", "/v1/keys/recovery", me.access))["wrapped_key"],
              recovery_body(2)["wrapped_key"]);
    // A stale If-Match loses.
    expect_error(put_recovery(me, recovery_body(3), if_match("\"1\"")), 412, "precondition_failed");
    expect_error(put_recovery(me, recovery_body(3), if_match("2")), 400, "invalid_request");
    expect_error(
        put_recovery(me, recovery_body(3), {{"If-None-Match", "*"}, {"If-Match", "\"2\""}}), 400,
        "invalid_request");
    expect_error(call("GET", "/v1/keys/recovery", std::nullopt), 401, "invalid_token");
    expect_error(call("PUT", "/v1/keys/recovery", std::nullopt, recovery_body(), k_create), 401,
                 "invalid_token");
}

TEST_F(ServerKeys, OfConcurrentRecoveryCreatesExactlyOneWins) {
    const auto me = new_account("keys-race");
    store_own_key(me, m_account_key);
    constexpr int k_writers = 8;
    std::vector<int> statuses(k_writers, 0);
    {
        std::vector<std::jthread> writers;
        for (int i = 0; i < k_writers; ++i)
            writers.emplace_back([&, i] {
                statuses[static_cast<std::size_t>(i)] =
                    put_recovery(me, recovery_body(i + 1), k_create).status;
            });
    }
    int created = 0;
    int refused = 0;
    int winner = 0;
    for (int i = 0; i < k_writers; ++i) {
        const int status = statuses[static_cast<std::size_t>(i)];
        if (status == 201) {
            ++created;
            winner = i + 1;
        }
        if (status == 412) ++refused;
    }
    EXPECT_EQ(created, 1);
    EXPECT_EQ(refused, k_writers - 1);
    const auto stored = body_of(call("GET", "/v1/keys/recovery", me.access));
    EXPECT_EQ(stored["key_version"], winner);
    EXPECT_EQ(stored["wrapped_key"], recovery_body(winner)["wrapped_key"]);
}

TEST_F(ServerKeys, RecoveryRefusesAbsurdParameters) {
    const auto me = new_account("keys-absurd");
    store_own_key(me, m_account_key);
    const std::vector<std::pair<const char*, json>> bad = {
        {"salt", base64_encode(Bytes(15, 1))},
        {"nonce", base64_encode(Bytes(23, 1))},
        {"wrapped_key", base64_encode(Bytes(80, 1))},
        {"opslimit", 0},
        {"opslimit", 100},
        {"memlimit", 1024},
        {"memlimit", 1LL << 40},
        {"memlimit", "256"},
        {"key_version", 0},
        {"salt", "%%%"},
    };
    for (const auto& [member, value] : bad) {
        auto body = recovery_body();
        body[member] = value;
        expect_error(put_recovery(me, body, k_create), 400, "invalid_request");
    }
    auto missing = recovery_body();
    missing.erase("nonce");
    expect_error(put_recovery(me, missing, k_create), 400, "invalid_request");
    expect_error(raw("PUT", "/v1/keys/recovery", me.access, "{", "application/json", k_create), 400,
                 "malformed_json");
    expect_error(
        raw("PUT", "/v1/keys/recovery", me.access, recovery_body().dump(), "text/plain", k_create),
        415, "unsupported_media_type");
    expect_error(call("GET", "/v1/keys/recovery", me.access), 404, "key_not_found");
}

}  // namespace
}  // namespace edgesync::test
