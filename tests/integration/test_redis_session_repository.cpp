#include <gtest/gtest.h>

#include <algorithm>

#include "shared/db/redis_keys.hpp"
#include "shared/repositories/redis_session_repository.hpp"
#include "shared/util/error.hpp"
#include "shared/util/uuid.hpp"
#include "tests/integration/redis_test_support.hpp"

namespace edgesync {
namespace {

namespace keys = redis_keys;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

// Every test uses fresh random account ids, so tests can share one Redis.
class SessionRepo : public ::testing::Test {
  protected:
    RedisPool m_pool{test::redis_endpoint(), test::small_pool()};
    RedisSessionRepository m_repo{m_pool};
    RedisClient m_redis{test::redis_endpoint()};
    const std::string m_aid = new_uuid();

    [[nodiscard]] static Session make(const std::string& aid, const std::string& did,
                                      milliseconds lifetime) {
        Session s;
        s.id = new_uuid();
        s.account_id = aid;
        s.device_id = did;
        s.refresh_hash = "hash-" + s.id;
        s.created_at = now();
        s.expires_at = s.created_at + lifetime;
        s.last_used_at = s.created_at;
        s.ip = "192.0.2.1";
        s.user_agent = "edgesync-test";
        return s;
    }
    Session create(const std::string& did, milliseconds lifetime = hours(1)) {
        auto s = make(m_aid, did, lifetime);
        m_repo.create(s);
        return s;
    }
    [[nodiscard]] std::vector<std::string> members(const std::string& key) {
        auto ids = m_redis.command({"SMEMBERS", key}).as_string_array();
        std::sort(ids.begin(), ids.end());
        return ids;
    }
    [[nodiscard]] std::int64_t pttl(const std::string& key) {
        return m_redis.command({"PTTL", key}).as_integer();
    }
    [[nodiscard]] static std::vector<std::string> sorted(std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
    }
    // Waits until Redis expired the session (test lifetimes are 1-2 s).
    void wait_expired(const Session& s) {
        ASSERT_TRUE(test::eventually([&] {
            return m_redis.command({"EXISTS", keys::session_key(s.account_id, s.id)})
                       .as_integer() == 0;
        }));
    }
};

TEST_F(SessionRepo, CreatedSessionCanBeReadBack) {
    const auto s = create("dev-1");
    const auto got = m_repo.get(m_aid, s.id);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->id, s.id);
    EXPECT_EQ(got->account_id, m_aid);
    EXPECT_EQ(got->device_id, "dev-1");
    EXPECT_EQ(got->refresh_hash, s.refresh_hash);
    EXPECT_EQ(got->created_at, s.created_at);
    EXPECT_EQ(got->expires_at, s.expires_at);
    EXPECT_EQ(got->ip, s.ip);
    EXPECT_EQ(got->user_agent, s.user_agent);
    EXPECT_EQ(members(keys::account_sessions_key(m_aid)), std::vector{s.id});
    EXPECT_EQ(members(keys::device_sessions_key(m_aid, "dev-1")), std::vector{s.id});
}

TEST_F(SessionRepo, GetOfUnknownSessionOrOtherAccountIsEmpty) {
    const auto s = create("dev-1");
    EXPECT_FALSE(m_repo.get(m_aid, new_uuid()));
    EXPECT_FALSE(m_repo.get(new_uuid(), s.id));
}

TEST_F(SessionRepo, TtlIsPositiveAndAtMostTheLifetime) {
    const auto s = create("dev-1", minutes(30));
    const auto ttl = pttl(keys::session_key(m_aid, s.id));
    EXPECT_GT(ttl, 0);
    EXPECT_LE(ttl, 30 * 60 * 1000);
}

TEST_F(SessionRepo, IndexSetsExpireNoEarlierThanTheirLongestSession) {
    create("dev-1", hours(2));
    create("dev-1", minutes(1));  // a shorter one must not shorten the index expiry
    for (const auto& key :
         {keys::account_sessions_key(m_aid), keys::device_sessions_key(m_aid, "dev-1")}) {
        EXPECT_GT(pttl(key), 60 * 60 * 1000) << key;
        EXPECT_LE(pttl(key), 2 * 60 * 60 * 1000) << key;
    }
    create("dev-2", minutes(1));
    create("dev-2", hours(3));  // a longer one extends it
    EXPECT_GT(pttl(keys::device_sessions_key(m_aid, "dev-2")), 2 * 60 * 60 * 1000);
    EXPECT_GT(pttl(keys::account_sessions_key(m_aid)), 2 * 60 * 60 * 1000);
}

TEST_F(SessionRepo, CreateWithExpiryNotInTheFutureThrows) {
    auto s = make(m_aid, "dev-1", hours(1));
    s.expires_at = now();
    EXPECT_THROW(m_repo.create(s), std::invalid_argument);
    s.expires_at = now() - std::chrono::seconds(5);
    EXPECT_THROW(m_repo.create(s), std::invalid_argument);
    EXPECT_FALSE(m_repo.get(m_aid, s.id));
    EXPECT_EQ(m_redis.command({"EXISTS", keys::account_sessions_key(m_aid)}).as_integer(), 0);
}

TEST_F(SessionRepo, CreateWithAnIdInUseThrowsAndKeepsTheOriginal) {
    const auto s = create("dev-1");
    auto dup = make(m_aid, "dev-2", hours(1));
    dup.id = s.id;
    EXPECT_THROW(m_repo.create(dup), std::invalid_argument);
    EXPECT_EQ(m_repo.get(m_aid, s.id)->device_id, "dev-1");
    EXPECT_TRUE(members(keys::device_sessions_key(m_aid, "dev-2")).empty());
}

TEST_F(SessionRepo, ListReturnsTheAccountsLiveSessionsOnly) {
    const auto a = create("dev-1");
    const auto b = create("dev-2");
    const auto other_account = make(new_uuid(), "dev-1", hours(1));
    m_repo.create(other_account);
    const auto list = m_repo.list(m_aid);
    std::vector<std::string> ids;
    for (const auto& s : list) ids.push_back(s.id);
    EXPECT_EQ(sorted(ids), sorted({a.id, b.id}));
    EXPECT_TRUE(m_repo.list(new_uuid()).empty());
}

TEST_F(SessionRepo, ExpiredSessionDisappearsAndListDropsItsIndexEntry) {
    const auto short_lived = create("dev-1", milliseconds(1500));
    const auto long_lived = create("dev-1");
    wait_expired(short_lived);
    EXPECT_FALSE(m_repo.get(m_aid, short_lived.id));
    // Still indexed until someone looks.
    EXPECT_EQ(members(keys::account_sessions_key(m_aid)), sorted({short_lived.id, long_lived.id}));
    const auto list = m_repo.list(m_aid);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].id, long_lived.id);
    EXPECT_EQ(members(keys::account_sessions_key(m_aid)), std::vector{long_lived.id});
}

TEST_F(SessionRepo, RotateRefreshIsSingleUse) {
    const auto s = create("dev-1");
    const auto end = s.expires_at;
    EXPECT_TRUE(m_repo.rotate_refresh(s, "new-hash", end));
    EXPECT_FALSE(m_repo.rotate_refresh(s, "stolen-hash", end));  // s still holds the old hash
    const auto got = m_repo.get(m_aid, s.id);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->refresh_hash, "new-hash");
    EXPECT_GE(got->last_used_at, s.last_used_at);
    EXPECT_EQ(got->user_agent, s.user_agent);
    EXPECT_TRUE(m_repo.rotate_refresh(*got, "newer-hash", end));
}

TEST_F(SessionRepo, RotateRefreshMovesTheSessionsEndAndTtl) {
    const auto s = create("dev-1", minutes(30));
    const auto new_end = now() + std::chrono::hours(2);
    ASSERT_TRUE(m_repo.rotate_refresh(s, "new-hash", new_end));
    const auto got = m_repo.get(m_aid, s.id);
    ASSERT_TRUE(got);
    EXPECT_EQ(format_rfc3339(got->expires_at), format_rfc3339(new_end));
    const auto ttl = pttl(keys::session_key(m_aid, s.id));
    EXPECT_GT(ttl, 30 * 60 * 1000);  // extended past the old 30 minutes
    EXPECT_LE(ttl, 2 * 3600 * 1000);
    // The index sets live at least as long as the session they hold.
    EXPECT_GE(pttl(keys::account_sessions_key(m_aid)), ttl - 1000);
    EXPECT_GE(pttl(keys::device_sessions_key(m_aid, "dev-1")), ttl - 1000);
}

TEST_F(SessionRepo, RotateRefreshRefusesAnEndInThePast) {
    const auto s = create("dev-1");
    EXPECT_THROW((void)m_repo.rotate_refresh(s, "new-hash", now() - std::chrono::seconds(1)),
                 std::invalid_argument);
}

TEST_F(SessionRepo, RotateRefreshOfMissingSessionFails) {
    auto ghost = create("dev-1");
    ASSERT_TRUE(m_repo.remove(m_aid, ghost.id));
    EXPECT_FALSE(m_repo.rotate_refresh(ghost, "b", now() + minutes(5)));
}

TEST_F(SessionRepo, RemoveEndsOneSessionAndItsIndexEntries) {
    const auto a = create("dev-1");
    const auto b = create("dev-1");
    EXPECT_TRUE(m_repo.remove(m_aid, a.id));
    EXPECT_FALSE(m_repo.get(m_aid, a.id));
    EXPECT_TRUE(m_repo.get(m_aid, b.id));
    EXPECT_EQ(members(keys::account_sessions_key(m_aid)), std::vector{b.id});
    EXPECT_EQ(members(keys::device_sessions_key(m_aid, "dev-1")), std::vector{b.id});
    EXPECT_FALSE(m_repo.remove(m_aid, a.id));
    EXPECT_FALSE(m_repo.remove(m_aid, new_uuid()));
}

TEST_F(SessionRepo, RemoveAllEndsEverySessionOfTheAccountOnly) {
    create("dev-1");
    create("dev-1");
    create("dev-2");
    const auto other = make(new_uuid(), "dev-1", hours(1));
    m_repo.create(other);
    EXPECT_EQ(m_repo.remove_all(m_aid), 3u);
    EXPECT_TRUE(m_repo.list(m_aid).empty());
    for (const auto& key :
         {keys::account_sessions_key(m_aid), keys::device_sessions_key(m_aid, "dev-1"),
          keys::device_sessions_key(m_aid, "dev-2")})
        EXPECT_EQ(m_redis.command({"EXISTS", key}).as_integer(), 0) << key;
    EXPECT_TRUE(m_repo.get(other.account_id, other.id));
    EXPECT_EQ(m_repo.remove_all(m_aid), 0u);
}

TEST_F(SessionRepo, RemoveAllCountsOnlySessionsStillAlive) {
    const auto short_lived = create("dev-1", milliseconds(1500));
    create("dev-1");
    wait_expired(short_lived);
    EXPECT_EQ(m_repo.remove_all(m_aid), 1u);
    EXPECT_EQ(m_redis.command({"EXISTS", keys::account_sessions_key(m_aid)}).as_integer(), 0);
}

TEST_F(SessionRepo, RemoveByDeviceLeavesOtherDevicesSessions) {
    create("dev-1");
    create("dev-1");
    const auto kept = create("dev-2");
    EXPECT_EQ(m_repo.remove_by_device(m_aid, "dev-1"), 2u);
    const auto list = m_repo.list(m_aid);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].id, kept.id);
    EXPECT_EQ(m_redis.command({"EXISTS", keys::device_sessions_key(m_aid, "dev-1")}).as_integer(),
              0);
    EXPECT_EQ(members(keys::device_sessions_key(m_aid, "dev-2")), std::vector{kept.id});
    EXPECT_EQ(m_repo.remove_by_device(m_aid, "dev-1"), 0u);
}

TEST_F(SessionRepo, RemoveByDeviceCleansStaleIdsAndCountsOnlyLiveOnes) {
    const auto stale = create("dev-1", milliseconds(1500));
    const auto live = create("dev-1");
    const auto kept = create("dev-2");
    wait_expired(stale);
    EXPECT_EQ(m_repo.remove_by_device(m_aid, "dev-1"), 1u);
    EXPECT_FALSE(m_repo.get(m_aid, live.id));
    EXPECT_EQ(members(keys::account_sessions_key(m_aid)), std::vector{kept.id});
    EXPECT_EQ(m_redis.command({"EXISTS", keys::device_sessions_key(m_aid, "dev-1")}).as_integer(),
              0);
}

TEST_F(SessionRepo, EmptyIdsAreRejected) {
    auto s = make(m_aid, "dev-1", hours(1));
    s.account_id.clear();
    EXPECT_THROW(m_repo.create(s), std::invalid_argument);
    EXPECT_THROW((void)m_repo.get("", "x"), std::invalid_argument);
    EXPECT_THROW((void)m_repo.remove_by_device(m_aid, ""), std::invalid_argument);
}

TEST_F(SessionRepo, CreateManyStoresAndIndexesEverySessionInBatches) {
    std::vector<Session> sessions;
    for (int i = 0; i < 25; ++i)
        sessions.push_back(make(m_aid, i % 2 == 0 ? "even" : "odd", hours(1)));
    m_repo.create_many(sessions, /*batch=*/10);
    EXPECT_EQ(m_repo.list(m_aid).size(), 25U);
    EXPECT_EQ(members(keys::device_sessions_key(m_aid, "even")).size(), 13U);
    EXPECT_EQ(members(keys::device_sessions_key(m_aid, "odd")).size(), 12U);
    const auto got = m_repo.get(m_aid, sessions[7].id);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->refresh_hash, sessions[7].refresh_hash);
    EXPECT_GT(pttl(keys::session_key(m_aid, sessions[7].id)), 0);
    // Even after SCRIPT FLUSH (the script is loaded again first).
    (void)m_redis.command({"SCRIPT", "FLUSH"});
    m_repo.create_many({make(m_aid, "even", hours(1))});
    EXPECT_EQ(m_repo.list(m_aid).size(), 26U);
}

TEST_F(SessionRepo, CreateManyRejectsAnIdInUseAndKeepsTheOthers) {
    const auto taken = create("dev");
    auto again = taken;
    again.refresh_hash = "other";
    const auto fresh = make(m_aid, "dev", hours(1));
    EXPECT_THROW(m_repo.create_many({again, fresh}), std::invalid_argument);
    EXPECT_EQ(m_repo.get(m_aid, taken.id)->refresh_hash, taken.refresh_hash);
    EXPECT_TRUE(m_repo.get(m_aid, fresh.id).has_value());
    EXPECT_THROW(m_repo.create_many({make(m_aid, "dev", milliseconds(-1))}), std::invalid_argument);
}

TEST_F(SessionRepo, ConcurrentCreatesFromManyThreadsAreAllIndexed) {
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t)
        workers.emplace_back([&, t] {
            for (int i = 0; i < 25; ++i)
                m_repo.create(make(m_aid, "dev-" + std::to_string(t), hours(1)));
        });
    for (auto& w : workers) w.join();
    EXPECT_EQ(m_repo.list(m_aid).size(), 100u);
    EXPECT_EQ(m_repo.remove_all(m_aid), 100u);
}

// Sweep walks every account, so each sweep test owns a database (see
// redis_test_support.hpp) and ctest -j cannot mix their counts.
template <int Db>
class SweepFixture : public ::testing::Test {
  protected:
    static constexpr int k_db = Db;
    RedisClient m_redis{test::redis_endpoint(k_db)};
    RedisPool m_pool{test::redis_endpoint(k_db), test::small_pool()};
    RedisSessionRepository m_repo{m_pool};

    void SetUp() override { m_redis.command({"FLUSHDB"}); }
    void TearDown() override { m_redis.command({"FLUSHDB"}); }

    Session create(const std::string& aid, const std::string& did, milliseconds lifetime) {
        Session s;
        s.id = new_uuid();
        s.account_id = aid;
        s.device_id = did;
        s.created_at = now();
        s.expires_at = s.created_at + lifetime;
        s.last_used_at = s.created_at;
        m_repo.create(s);
        return s;
    }
};

using SessionSweep = SweepFixture<test::k_sweep_db>;
using SessionSweepEmpty = SweepFixture<test::k_sweep_empty_db>;

TEST_F(SessionSweep, RemovesStaleEntriesOfEveryAccountAndCountsThem) {
    const auto x = new_uuid();
    const auto y = new_uuid();
    // Each short session shares its index sets with a long one, so no set expires.
    const auto s1 = create(x, "d1", milliseconds(1500));
    const auto s2 = create(x, "d1", hours(1));
    const auto s3 = create(y, "d2", milliseconds(1500));
    const auto s4 = create(y, "d2", hours(1));
    const auto s5 = create(y, "d3", hours(1));
    // Keys the pattern could match that are not index sets.
    m_redis.command({"SET", "es:{" + new_uuid() + "}:sessions", "a string, not a set"});
    m_redis.command({"SADD", "es:{" + x + "}:session:x:sessions", "not-an-index"});
    for (const auto& s : {s1, s3})
        ASSERT_TRUE(test::eventually([&] {
            return m_redis.command({"EXISTS", keys::session_key(s.account_id, s.id)})
                       .as_integer() == 0;
        }));

    const auto stats = m_repo.sweep();
    EXPECT_EQ(stats.index_keys_scanned, 5u);  // x: account+d1, y: account+d2+d3
    EXPECT_EQ(stats.stale_removed, 4u);       // s1 and s3, each in two sets
    const auto members = [&](const std::string& key) {
        auto ids = m_redis.command({"SMEMBERS", key}).as_string_array();
        std::sort(ids.begin(), ids.end());
        return ids;
    };
    EXPECT_EQ(members(keys::account_sessions_key(x)), std::vector{s2.id});
    EXPECT_EQ(members(keys::device_sessions_key(x, "d1")), std::vector{s2.id});
    auto y_ids = std::vector{s4.id, s5.id};
    std::sort(y_ids.begin(), y_ids.end());
    EXPECT_EQ(members(keys::account_sessions_key(y)), y_ids);
    EXPECT_EQ(members(keys::device_sessions_key(y, "d2")), std::vector{s4.id});

    const auto again = m_repo.sweep();
    EXPECT_EQ(again.index_keys_scanned, 5u);
    EXPECT_EQ(again.stale_removed, 0u);
}

TEST_F(SessionSweepEmpty, EmptyDatabaseSweepsNothing) {
    const auto stats = m_repo.sweep();
    EXPECT_EQ(stats.index_keys_scanned, 0u);
    EXPECT_EQ(stats.stale_removed, 0u);
}

}  // namespace
}  // namespace edgesync
