// Device routes of edgesync-server (register, list with presence, rename,
// revoke): the built binary against a private database and the test Redis.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/e2e/server_account_fixture.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

class ServerDevices : public ServerAccountFixture {
  protected:
    json new_device_body(const std::string& name = "phone") {
        return {{"name", name},
                {"device_type", "mobile"},
                {"public_key", base64_encode(crypto::generate_box_keypair().public_key)}};
    }
    json find_device(const DeviceLogin& as, const std::string& id) {
        const auto r = call("GET", "/v1/devices", as.access);
        EXPECT_EQ(r.status, 200) << r.describe();
        const auto body = body_of(r);
        for (const auto& d : body["devices"])
            if (d["id"] == id) return d;
        return nullptr;
    }
};

TEST_F(ServerDevices, RegisterListRenameRevokeHappyPath) {
    const auto me = new_account("dev-happy");
    const auto spec = new_device_body("phone");
    const auto created = call("POST", "/v1/devices", me.access, spec);
    ASSERT_EQ(created.status, 201) << created.describe();
    const auto d = body_of(created);
    const std::string id = d["id"];
    EXPECT_EQ(created.header("Location").value_or(""), "/v1/devices/" + id);
    EXPECT_EQ(d["name"], "phone");
    EXPECT_EQ(d["device_type"], "mobile");
    EXPECT_EQ(d["public_key"], spec["public_key"]);
    EXPECT_EQ(d["has_wrapped_key"], false);
    EXPECT_EQ(d["key_version"], 0);
    EXPECT_EQ(d["current"], false);
    EXPECT_TRUE(d["revoked_at"].is_null());
    EXPECT_TRUE(d["last_seen_at"].is_null());
    EXPECT_EQ(d["presence"]["status"], "offline");

    const auto list = call("GET", "/v1/devices", me.access);
    ASSERT_EQ(list.status, 200) << list.describe();
    const auto devices = body_of(list)["devices"];
    ASSERT_EQ(devices.size(), 2U);
    EXPECT_EQ(devices[0]["id"], me.device_id);  // oldest first
    EXPECT_EQ(devices[0]["current"], true);
    EXPECT_EQ(devices[1]["id"], id);
    EXPECT_EQ(devices[1]["current"], false);
    EXPECT_FALSE(devices[0].contains("wrapped_key"));

    const auto renamed = call("PATCH", "/v1/devices/" + id, me.access, {{"name", "old phone"}});
    ASSERT_EQ(renamed.status, 200) << renamed.describe();
    EXPECT_EQ(body_of(renamed)["name"], "old phone");
    EXPECT_EQ(find_device(me, id)["name"], "old phone");

    // Upper-case ids name the same device.
    std::string upper = id;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const auto revoked = call("DELETE", "/v1/devices/" + upper, me.access);
    EXPECT_EQ(revoked.status, 204) << revoked.describe();
    EXPECT_FALSE(find_device(me, id)["revoked_at"].is_null());
    // Revoking again is not an error (the rule is idempotent).
    EXPECT_EQ(call("DELETE", "/v1/devices/" + id, me.access).status, 204);
}

TEST_F(ServerDevices, RegisterRejectsBadInput) {
    const auto me = new_account("dev-bad");
    expect_error(raw("POST", "/v1/devices", me.access, "{\"name\":"), 400, "malformed_json");
    expect_error(raw("POST", "/v1/devices", me.access, new_device_body().dump(), "text/plain"), 415,
                 "unsupported_media_type");
    expect_error(call("POST", "/v1/devices", me.access, json::array()), 400, "invalid_request");
    auto body = new_device_body();
    body.erase("name");
    expect_error(call("POST", "/v1/devices", me.access, body), 400, "invalid_request");
    body = new_device_body("");
    expect_error(call("POST", "/v1/devices", me.access, body), 400, "invalid_request");
    body = new_device_body();
    body["device_type"] = "toaster";
    expect_error(call("POST", "/v1/devices", me.access, body), 400, "invalid_request");
    body["device_type"] = "desktop";
    body["public_key"] = "not base64!";
    expect_error(call("POST", "/v1/devices", me.access, body), 400, "invalid_request");
    body["public_key"] = base64_encode(Bytes(31, 7));
    expect_error(call("POST", "/v1/devices", me.access, body), 400, "invalid_request");
    expect_error(call("POST", "/v1/devices", std::nullopt, new_device_body()), 401,
                 "invalid_token");
    expect_error(call("GET", "/v1/devices", std::nullopt), 401, "invalid_token");
    // Nothing was registered by any of them.
    EXPECT_EQ(body_of(call("GET", "/v1/devices", me.access))["devices"].size(), 1U);
}

TEST_F(ServerDevices, RenameAndRevokeRejectBadAndUnknownIds) {
    const auto me = new_account("dev-ids");
    expect_error(call("PATCH", "/v1/devices/not-a-uuid", me.access, {{"name", "x"}}), 400,
                 "invalid_uuid");
    expect_error(call("DELETE", "/v1/devices/not-a-uuid", me.access), 400, "invalid_uuid");
    const std::string unknown = "/v1/devices/" + std::string(k_unknown_uuid);
    expect_error(call("PATCH", unknown, me.access, {{"name", "x"}}), 404, "not_found");
    expect_error(call("DELETE", unknown, me.access), 404, "not_found");
    const std::string mine = "/v1/devices/" + me.device_id;
    expect_error(call("PATCH", mine, me.access, {{"name", ""}}), 400, "invalid_request");
    expect_error(call("PATCH", mine, me.access, {{"name", 5}}), 400, "invalid_request");
    expect_error(raw("PATCH", mine, me.access, "[", "application/json"), 400, "malformed_json");
    expect_error(raw("PATCH", mine, me.access, "{\"name\":\"x\"}", "text/plain"), 415,
                 "unsupported_media_type");
    expect_error(call("PATCH", mine, std::nullopt, {{"name", "x"}}), 401, "invalid_token");
    expect_error(call("DELETE", mine, std::nullopt), 401, "invalid_token");
}

TEST_F(ServerDevices, AnotherAccountGets404ForEveryDeviceRoute) {
    const auto alice = new_account("dev-alice");
    const auto mallory = new_account("dev-mallory");
    const std::string target = "/v1/devices/" + alice.device_id;
    expect_error(call("PATCH", target, mallory.access, {{"name", "pwned"}}), 404, "not_found");
    expect_error(call("DELETE", target, mallory.access), 404, "not_found");
    const auto theirs = body_of(call("GET", "/v1/devices", mallory.access))["devices"];
    ASSERT_EQ(theirs.size(), 1U);
    EXPECT_EQ(theirs[0]["id"], mallory.device_id);

    const auto mine = find_device(alice, alice.device_id);
    EXPECT_EQ(mine["name"], "laptop");
    EXPECT_TRUE(mine["revoked_at"].is_null());
    EXPECT_EQ(call("GET", "/v1/devices", alice.access).status, 200);  // still logged in
}

TEST_F(ServerDevices, ARevokedDeviceTokenIs401) {
    const auto email = register_account("dev-revoke");
    const auto laptop = login(email, true, "laptop");
    const auto phone = login(email, true, "phone");
    ASSERT_EQ(call("GET", "/v1/devices", phone.access).status, 200);

    EXPECT_EQ(call("DELETE", "/v1/devices/" + phone.device_id, laptop.access).status, 204);
    expect_error(call("GET", "/v1/devices", phone.access), 401, "invalid_token");
    expect_error(call("POST", "/v1/presence/heartbeat", phone.access), 401, "invalid_token");

    // A device may revoke itself: its own token stops working too.
    EXPECT_EQ(call("DELETE", "/v1/devices/" + laptop.device_id, laptop.access).status, 204);
    expect_error(call("GET", "/v1/devices", laptop.access), 401, "invalid_token");
    // And a revoked device cannot log in again.
    const auto again =
        call("POST", "/v1/auth/login", std::nullopt,
             {{"email", email}, {"password", k_fixture_password}, {"device_id", laptop.device_id}});
    EXPECT_EQ(again.status, 403) << again.describe();
}

}  // namespace
}  // namespace edgesync::test
