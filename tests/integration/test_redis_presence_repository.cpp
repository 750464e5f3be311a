#include <gtest/gtest.h>

#include "shared/db/redis_keys.hpp"
#include "shared/repositories/redis_presence_repository.hpp"
#include "shared/util/uuid.hpp"
#include "tests/integration/redis_test_support.hpp"

namespace edgesync {
namespace {

namespace keys = redis_keys;
using std::chrono::seconds;

class PresenceRepo : public ::testing::Test {
  protected:
    RedisPool m_pool{test::redis_endpoint(), test::small_pool()};
    RedisPresenceRepository m_repo{m_pool};
    RedisClient m_redis{test::redis_endpoint()};
    const std::string m_aid = new_uuid();

    static Presence online(const std::string& did, const std::string& status = "online") {
        Presence p;
        p.device_id = did;
        p.status = status;
        p.last_seen = now();
        p.server = "server-a";
        return p;
    }
};

TEST_F(PresenceRepo, SetThenGetManyReturnsOneSlotPerRequestedDevice) {
    const auto a = online("dev-a");
    const auto b = online("dev-b", "away");
    m_repo.set(m_aid, a);
    m_repo.set(m_aid, b);
    const auto got = m_repo.get_many(m_aid, {"dev-b", "dev-unknown", "dev-a"});
    ASSERT_EQ(got.size(), 3u);
    ASSERT_TRUE(got[0]);
    EXPECT_EQ(got[0]->device_id, "dev-b");
    EXPECT_EQ(got[0]->status, "away");
    EXPECT_EQ(got[0]->last_seen, b.last_seen);
    EXPECT_EQ(got[0]->server, "server-a");
    EXPECT_FALSE(got[1]);
    ASSERT_TRUE(got[2]);
    EXPECT_EQ(got[2]->device_id, "dev-a");
    EXPECT_TRUE(m_repo.get_many(m_aid, {}).empty());
}

TEST_F(PresenceRepo, StoredDocumentHasDesignFieldsAndTtl) {
    m_repo.set(m_aid, online("dev-a"));
    const auto key = keys::presence_key(m_aid, "dev-a");
    const auto json = m_redis.command({"GET", key}).as_string();
    EXPECT_NE(json.find("\"status\""), std::string::npos);
    EXPECT_NE(json.find("\"last_seen\""), std::string::npos);
    EXPECT_NE(json.find("\"server\""), std::string::npos);
    const auto ttl = m_redis.command({"PTTL", key}).as_integer();
    EXPECT_GT(ttl, 0);
    EXPECT_LE(ttl, std::chrono::milliseconds(k_presence_ttl).count());
}

TEST_F(PresenceRepo, ListReturnsOnlineDevicesOfTheAccountOnly) {
    m_repo.set(m_aid, online("dev-b"));
    m_repo.set(m_aid, online("dev-a"));
    m_repo.set(new_uuid(), online("dev-c"));
    const auto list = m_repo.list(m_aid);
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0].device_id, "dev-a");
    EXPECT_EQ(list[1].device_id, "dev-b");
    EXPECT_TRUE(m_repo.list(new_uuid()).empty());
}

TEST_F(PresenceRepo, SetAgainReplacesStatus) {
    m_repo.set(m_aid, online("dev-a"));
    m_repo.set(m_aid, online("dev-a", "away"));
    const auto got = m_repo.get_many(m_aid, {"dev-a"});
    ASSERT_TRUE(got[0]);
    EXPECT_EQ(got[0]->status, "away");
}

TEST_F(PresenceRepo, RemoveTakesTheDeviceOffline) {
    m_repo.set(m_aid, online("dev-a"));
    m_repo.set(m_aid, online("dev-b"));
    m_repo.remove(m_aid, "dev-a");
    EXPECT_FALSE(m_repo.get_many(m_aid, {"dev-a"})[0]);
    ASSERT_EQ(m_repo.list(m_aid).size(), 1u);
    EXPECT_NO_THROW(m_repo.remove(m_aid, "dev-a"));
}

TEST_F(PresenceRepo, PresenceExpiresWithoutHeartbeat) {
    m_repo.set(m_aid, online("dev-a"), seconds(1));
    const auto ttl = m_redis.command({"PTTL", keys::presence_key(m_aid, "dev-a")}).as_integer();
    EXPECT_GT(ttl, 0);
    EXPECT_LE(ttl, 1000);
    ASSERT_TRUE(test::eventually([&] { return !m_repo.get_many(m_aid, {"dev-a"})[0]; }));
    EXPECT_TRUE(m_repo.list(m_aid).empty());
}

TEST_F(PresenceRepo, NonPositiveTtlIsRejected) {
    EXPECT_THROW(m_repo.set(m_aid, online("dev-a"), seconds(0)), std::invalid_argument);
    EXPECT_THROW(m_repo.set(m_aid, online("dev-a"), seconds(-1)), std::invalid_argument);
    EXPECT_FALSE(m_repo.get_many(m_aid, {"dev-a"})[0]);
}

}  // namespace
}  // namespace edgesync
