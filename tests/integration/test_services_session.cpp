#include <gtest/gtest.h>

#include <algorithm>

#include "tests/integration/services_fixture.hpp"

namespace edgesync::test {
namespace {

class SessionServiceTest : public ServicesFixture {};

TEST_F(SessionServiceTest, ListAndGetShowOnlyTheAccountsLiveSessions) {
    const auto a = make_account();
    const auto d = make_device(a.id);
    const auto s1 = make_session(a.id, d.id);
    const auto s2 = make_session(a.id, d.id);
    const auto b = make_account();
    const auto theirs = make_session(b.id, make_device(b.id).id);

    auto ids = std::vector<std::string>{};
    for (const auto& s : m_sessions.list(a.id)) ids.push_back(s.id);
    std::sort(ids.begin(), ids.end());
    auto expected = std::vector{s1.id, s2.id};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(ids, expected);

    const auto got = m_sessions.get(a.id, s1.id);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->device_id, d.id);
    EXPECT_EQ(m_sessions.get(a.id, theirs.id).error().code, ServiceErrorCode::not_found);
    EXPECT_EQ(m_sessions.get(a.id, new_uuid()).error().code, ServiceErrorCode::not_found);
}

TEST_F(SessionServiceTest, RevokeEndsOneSessionAndPublishesIt) {
    const auto a = make_account();
    const auto d = make_device(a.id);
    const auto s1 = make_session(a.id, d.id);
    const auto s2 = make_session(a.id, d.id);

    ASSERT_TRUE(m_sessions.revoke(a.id, s1.id).has_value());
    EXPECT_FALSE(session_exists(s1));
    EXPECT_TRUE(session_exists(s2));
    EXPECT_EQ(m_revocations.drain(a.id), std::vector{RevocationNotice::for_session(a.id, s1.id)});
}

TEST_F(SessionServiceTest, RevokeOfUnknownSessionIsNotFoundAndPublishesNothing) {
    const auto a = make_account();
    const auto b = make_account();
    const auto theirs = make_session(b.id, make_device(b.id).id);
    EXPECT_EQ(m_sessions.revoke(a.id, new_uuid()).error().code, ServiceErrorCode::not_found);
    EXPECT_EQ(m_sessions.revoke(a.id, theirs.id).error().code, ServiceErrorCode::not_found);
    EXPECT_TRUE(session_exists(theirs));
    EXPECT_TRUE(m_revocations.drain(a.id).empty());
}

TEST_F(SessionServiceTest, PurgeAccountEndsEverySessionCountsThemAndPublishes) {
    const auto a = make_account();
    const auto d1 = make_device(a.id, "one");
    const auto d2 = make_device(a.id, "two");
    const auto s1 = make_session(a.id, d1.id);
    const auto s2 = make_session(a.id, d2.id);
    const auto b = make_account();
    const auto theirs = make_session(b.id, make_device(b.id).id);

    EXPECT_EQ(m_sessions.purge_account(a.id), 2U);
    EXPECT_FALSE(session_exists(s1));
    EXPECT_FALSE(session_exists(s2));
    EXPECT_TRUE(session_exists(theirs));
    EXPECT_EQ(m_sessions.purge_account(a.id), 0U);
    EXPECT_EQ(m_revocations.drain(a.id), (std::vector{RevocationNotice::for_account(a.id),
                                                      RevocationNotice::for_account(a.id)}));
}

TEST_F(SessionServiceTest, PurgeDeviceEndsOnlyThatDevicesSessionsAndPublishesIt) {
    const auto a = make_account();
    const auto d1 = make_device(a.id, "one");
    const auto d2 = make_device(a.id, "two");
    const auto s1 = make_session(a.id, d1.id);
    const auto s2 = make_session(a.id, d1.id);
    const auto s3 = make_session(a.id, d2.id);

    EXPECT_EQ(m_sessions.purge_device(a.id, d1.id), 2U);
    EXPECT_FALSE(session_exists(s1));
    EXPECT_FALSE(session_exists(s2));
    EXPECT_TRUE(session_exists(s3));
    EXPECT_FALSE(m_device_repo.find(a.id, d1.id)->revoked());  // a purge is a logout, not a revoke
    EXPECT_EQ(m_revocations.drain(a.id), std::vector{RevocationNotice::for_device(a.id, d1.id)});
}

// gc sweeps every account, so it runs on a Redis database of its own
// (k_services_gc_db in redis_test_support.hpp) where the counts are exact.

class SessionServiceGc : public ServicesFixture {
  protected:
    SessionServiceGc() : ServicesFixture(k_services_gc_db) {}
    void SetUp() override { m_admin.command({"FLUSHDB"}); }
    void TearDown() override { m_admin.command({"FLUSHDB"}); }
    RedisClient m_admin{redis_endpoint(k_services_gc_db)};
};

TEST_F(SessionServiceGc, GcDropsIndexEntriesOfExpiredSessionsAndCountsThem) {
    const auto a = make_account();
    const auto d = make_device(a.id);
    const auto short_lived = make_session(a.id, d.id, std::chrono::milliseconds(1500));
    const auto long_lived = make_session(a.id, d.id);  // keeps the index sets alive
    ASSERT_TRUE(eventually([&] { return !session_exists(short_lived); }));

    const auto stats = m_sessions.gc();
    EXPECT_EQ(stats.index_keys_scanned, 2U);  // the account's set and the device's set
    EXPECT_EQ(stats.stale_removed, 2U);       // short_lived, once in each
    EXPECT_TRUE(session_exists(long_lived));
    const auto again = m_sessions.gc();
    EXPECT_EQ(again.stale_removed, 0U);
}

TEST(RedisPublisherTest, DeliversRevocationNoticesToASubscriberOfEsRevocations) {
    RedisPool pool(redis_endpoint(), small_pool(1));
    RedisPublisher publisher(pool);
    RedisSubscriber sub(redis_endpoint());
    sub.subscribe({std::string(redis_keys::k_revocations_channel)});
    const auto aid = new_uuid();
    const auto notice = RevocationNotice::for_session(aid, new_uuid());

    publish_revocation(publisher, notice);
    for (;;) {  // other tests publish on the channel too: skip theirs
        const auto m = sub.next_message(std::chrono::seconds(15));
        ASSERT_TRUE(m.has_value()) << "notice never arrived";
        EXPECT_EQ(m->channel, "es:revocations");
        const auto got = parse_revocation(m->payload);
        if (!got || got->account_id != aid) continue;
        EXPECT_EQ(m->payload, revocation_message(notice));
        EXPECT_EQ(*got, notice);
        break;
    }
}

}  // namespace
}  // namespace edgesync::test
