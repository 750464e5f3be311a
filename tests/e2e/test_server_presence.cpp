// Presence routes of edgesync-server: heartbeats, the listing, and the
// PresenceChange messages on es:account:{aid} (watched with a real subscriber).
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "shared/config/config.hpp"
#include "shared/db/redis_keys.hpp"
#include "shared/db/redis_subscriber.hpp"
#include "shared/services/live_message.hpp"
#include "tests/e2e/server_account_fixture.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class ServerPresence : public ServerAccountFixture {
  protected:
    // Subscribed before it returns: every later publish on the channel arrives.
    RedisSubscriber watch(const DeviceLogin& account) {
        RedisSubscriber sub(parse_redis_url(redis_url()));
        sub.subscribe({redis_keys::account_channel(account.account_id)});
        return sub;
    }
    // The next presence message, skipping none: anything else fails the test.
    static std::optional<PresenceChange> next_change(RedisSubscriber& sub) {
        const auto m = sub.next_message(5s);
        if (!m) return std::nullopt;
        const auto parsed = parse_live_message(m->payload);
        if (!parsed || !std::holds_alternative<PresenceChange>(*parsed)) {
            ADD_FAILURE() << "not a presence message: " << m->payload;
            return std::nullopt;
        }
        return std::get<PresenceChange>(*parsed);
    }
    HttpResponse beat(const DeviceLogin& d, const json& body = nullptr) {
        return call("POST", "/v1/presence/heartbeat", d.access, body);
    }
};

TEST_F(ServerPresence, HeartbeatMakesTheDeviceOnline) {
    const auto me = new_account("pres-beat");
    EXPECT_TRUE(body_of(call("GET", "/v1/presence", me.access))["devices"].empty());

    const auto r = beat(me);  // no body at all
    ASSERT_EQ(r.status, 200) << r.describe();
    const auto b = body_of(r);
    EXPECT_EQ(b["status"], "online");
    EXPECT_EQ(b["ttl_seconds"], 60);
    EXPECT_TRUE(parse_timestamp(b["last_seen"].get<std::string>()).has_value());

    const auto list = call("GET", "/v1/presence", me.access);
    ASSERT_EQ(list.status, 200) << list.describe();
    const auto devices = body_of(list)["devices"];
    ASSERT_EQ(devices.size(), 1U);
    EXPECT_EQ(devices[0]["device_id"], me.device_id);
    EXPECT_EQ(devices[0]["status"], "online");
    EXPECT_EQ(devices[0]["last_seen"], b["last_seen"]);

    const auto away = beat(me, {{"status", "away"}});
    ASSERT_EQ(away.status, 200) << away.describe();
    const auto mine = body_of(call("GET", "/v1/devices", me.access))["devices"][0];
    EXPECT_EQ(mine["presence"]["status"], "away");
    EXPECT_FALSE(mine["last_seen_at"].is_null());  // devices.last_seen_at touched
}

TEST_F(ServerPresence, AStatusChangePublishesExactlyOnce) {
    const auto me = new_account("pres-publish");
    auto sub = watch(me);
    ASSERT_EQ(beat(me).status, 200);
    const auto first = next_change(sub);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->device_id, me.device_id);
    EXPECT_EQ(first->status, "online");

    // Unchanged: nothing. Each heartbeat publishes before it answers, so had
    // the second one published, its message would come before "away".
    ASSERT_EQ(beat(me, {{"status", "online"}}).status, 200);
    ASSERT_EQ(beat(me, {{"status", "away"}}).status, 200);
    const auto second = next_change(sub);
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->status, "away");
    EXPECT_FALSE(sub.next_message(0ms).has_value());
}

TEST_F(ServerPresence, RevokingADevicePublishesOffline) {
    const auto email = register_account("pres-revoke");
    const auto laptop = login(email, true, "laptop");
    const auto phone = login(email, true, "phone");
    ASSERT_EQ(beat(phone).status, 200);
    auto sub = watch(laptop);
    ASSERT_EQ(call("DELETE", "/v1/devices/" + phone.device_id, laptop.access).status, 204);
    const auto change = next_change(sub);
    ASSERT_TRUE(change.has_value());
    EXPECT_EQ(change->device_id, phone.device_id);
    EXPECT_EQ(change->status, "offline");
    EXPECT_TRUE(body_of(call("GET", "/v1/presence", laptop.access))["devices"].empty());

    // A device that was not online goes without a notice: the next message
    // is the laptop's own heartbeat.
    const auto tablet = login(email, true, "tablet");
    ASSERT_EQ(call("DELETE", "/v1/devices/" + tablet.device_id, laptop.access).status, 204);
    ASSERT_EQ(beat(laptop).status, 200);
    const auto next = next_change(sub);
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->device_id, laptop.device_id);
    EXPECT_EQ(next->status, "online");
}

TEST_F(ServerPresence, HeartbeatRejectsBadInput) {
    const auto me = new_account("pres-bad");
    expect_error(beat(me, {{"status", "busy"}}), 400, "invalid_request");
    expect_error(beat(me, {{"status", "offline"}}), 400, "invalid_request");
    expect_error(beat(me, {{"status", 1}}), 400, "invalid_request");
    expect_error(beat(me, json::array()), 400, "invalid_request");
    expect_error(raw("POST", "/v1/presence/heartbeat", me.access, "{", "application/json"), 400,
                 "malformed_json");
    expect_error(raw("POST", "/v1/presence/heartbeat", me.access, "{}", "text/plain"), 415,
                 "unsupported_media_type");
    expect_error(call("POST", "/v1/presence/heartbeat", std::nullopt), 401, "invalid_token");
    expect_error(call("GET", "/v1/presence", std::nullopt), 401, "invalid_token");
    EXPECT_TRUE(body_of(call("GET", "/v1/presence", me.access))["devices"].empty());
}

TEST_F(ServerPresence, AnotherAccountSeesNoneOfIt) {
    const auto alice = new_account("pres-alice");
    const auto mallory = new_account("pres-mallory");
    auto sub = watch(alice);
    ASSERT_EQ(beat(alice).status, 200);
    ASSERT_TRUE(next_change(sub).has_value());
    ASSERT_EQ(beat(mallory).status, 200);  // her change goes to her channel only
    const auto theirs = body_of(call("GET", "/v1/presence", mallory.access))["devices"];
    ASSERT_EQ(theirs.size(), 1U);
    EXPECT_EQ(theirs[0]["device_id"], mallory.device_id);
    const auto devices = body_of(call("GET", "/v1/devices", mallory.access))["devices"];
    ASSERT_EQ(devices.size(), 1U);
    ASSERT_EQ(beat(alice, {{"status", "away"}}).status, 200);
    const auto next = next_change(sub);
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->device_id, alice.device_id);
    EXPECT_EQ(next->status, "away");
}

}  // namespace
}  // namespace edgesync::test
