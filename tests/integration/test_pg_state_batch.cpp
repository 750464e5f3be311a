#include <gtest/gtest.h>

#include <stdexcept>

#include "tests/integration/pg_repository_fixture.hpp"

namespace edgesync::test {
namespace {

using Reason = WriteRejection::Reason;

class PgStateBatch : public PgRepositoryFixture {
  protected:
    void SetUp() override {
        m_account = make_account();
        m_device = make_device(m_account.id);
    }
    StateWrite put(const std::string& key, Precondition pre, const std::string& blob) {
        return PgRepositoryFixture::put(m_account.id, m_device.id, key, pre, blob);
    }
    StateWrite del(const std::string& key, std::int64_t version) {
        return PgRepositoryFixture::del(m_account.id, m_device.id, key, version);
    }
    void expect_dense_events() {
        const auto events = m_events.list(m_account.id, 0, 10'000);
        for (std::size_t i = 0; i < events.size(); ++i)
            EXPECT_EQ(events[i].sequence_number, static_cast<std::int64_t>(i + 1));
        EXPECT_EQ(static_cast<std::int64_t>(events.size()), m_events.latest_seq(m_account.id));
    }

    Account m_account;
    Device m_device;
};

TEST_F(PgStateBatch, AllItemsApplyInOrderWithConsecutiveSeqs) {
    ASSERT_TRUE(m_states.write(put("old", Precondition::create(), "bye")).has_value());
    const auto r = m_states.write_batch({
        put("a", Precondition::create(), "alpha"),
        put("empty", Precondition::create(), ""),
        del("old", 1),
        put("a", Precondition::if_version(1), "alpha-2"),
        put("b", Precondition::create(), std::string("\0\\\"{}", 5)),
    });
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->size(), 5U);
    for (std::size_t i = 0; i < r->size(); ++i)
        EXPECT_EQ((*r)[i].seq, static_cast<std::int64_t>(i + 2));
    EXPECT_EQ((*r)[0].version, 1);
    EXPECT_EQ((*r)[2].version, 2);
    EXPECT_EQ((*r)[3].version, 2);

    EXPECT_EQ(to_string(m_states.get(m_account.id, "a")->state), "alpha-2");
    EXPECT_TRUE(m_states.get(m_account.id, "empty")->state.empty());
    EXPECT_FALSE(m_states.get(m_account.id, "empty")->deleted());
    EXPECT_TRUE(m_states.get(m_account.id, "old")->deleted());
    EXPECT_EQ(m_states.get(m_account.id, "b")->state, to_bytes(std::string("\0\\\"{}", 5)));
    EXPECT_EQ(m_states.get(m_account.id, "b")->nonce, Bytes(24, 0x07));
    EXPECT_EQ(m_accounts.find_by_id(m_account.id)->used_bytes, 12);
    expect_dense_events();
}

TEST_F(PgStateBatch, AConflictingItemRollsBackTheWholeBatch) {
    ASSERT_TRUE(m_states.write(put("x", Precondition::create(), "x1")).has_value());
    const auto r = m_states.write_batch({
        put("a", Precondition::create(), "a"),
        put("x", Precondition::if_version(1), "x2"),
        put("b", Precondition::create(), "b"),
        put("x", Precondition::if_version(5), "x3"),  // item 3 conflicts
        put("c", Precondition::create(), "c"),
    });
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().index, 3U);
    EXPECT_EQ(r.error().rejection.reason, Reason::conflict);
    // The current state is as it is without the batch.
    ASSERT_TRUE(r.error().rejection.current.has_value());
    EXPECT_EQ(r.error().rejection.current->version, 1);
    EXPECT_EQ(to_string(r.error().rejection.current->state), "x1");

    EXPECT_FALSE(m_states.get(m_account.id, "a").has_value());
    EXPECT_FALSE(m_states.get(m_account.id, "b").has_value());
    EXPECT_EQ(to_string(m_states.get(m_account.id, "x")->state), "x1");
    const auto acc = m_accounts.find_by_id(m_account.id);
    EXPECT_EQ(acc->last_seq, 1);
    EXPECT_EQ(acc->used_bytes, 2);

    // Sequence numbers stay dense after the rollback.
    const auto next = m_states.write_batch({put("a", Precondition::create(), "a")});
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ((*next)[0].seq, 2);
    expect_dense_events();
}

TEST_F(PgStateBatch, TheFirstItemCanFailToo) {
    const auto r = m_states.write_batch(
        {put("missing", Precondition::if_version(3), "m"), put("a", Precondition::create(), "a")});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().index, 0U);
    EXPECT_EQ(r.error().rejection.reason, Reason::not_found);
    EXPECT_FALSE(r.error().rejection.current.has_value());
    EXPECT_FALSE(m_states.get(m_account.id, "a").has_value());
}

TEST_F(PgStateBatch, QuotaIsCheckedAcrossTheBatch) {
    const auto small = make_account(10);
    const auto dev = make_device(small.id);
    const auto r = m_states.write_batch({
        PgRepositoryFixture::put(small.id, dev.id, "a", Precondition::create(), "123456"),
        PgRepositoryFixture::put(small.id, dev.id, "b", Precondition::create(), "123456"),
    });
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().index, 1U);
    EXPECT_EQ(r.error().rejection.reason, Reason::quota_exceeded);
    EXPECT_FALSE(m_states.get(small.id, "a").has_value());
    EXPECT_EQ(m_accounts.find_by_id(small.id)->used_bytes, 0);
    EXPECT_EQ(m_accounts.find_by_id(small.id)->last_seq, 0);
}

TEST_F(PgStateBatch, MissingAccountIsReportedForTheFirstItem) {
    ASSERT_TRUE(m_accounts.set_disabled(m_account.id, true));
    const auto r = m_states.write_batch({put("a", Precondition::create(), "a")});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().index, 0U);
    EXPECT_EQ(r.error().rejection.reason, Reason::account_missing);
}

TEST_F(PgStateBatch, AnItemByARevokedDeviceRollsBackTheBatch) {
    const auto other = make_device(m_account.id, "old phone");
    ASSERT_TRUE(m_devices.revoke(m_account.id, other.id).has_value());
    const auto r = m_states.write_batch(
        {put("a", Precondition::create(), "a"),
         PgRepositoryFixture::put(m_account.id, other.id, "b", Precondition::create(), "b")});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().index, 1U);
    EXPECT_EQ(r.error().rejection.reason, Reason::device_revoked);
    EXPECT_FALSE(m_states.get(m_account.id, "a").has_value());
    EXPECT_EQ(m_accounts.find_by_id(m_account.id)->last_seq, 0);
}

TEST_F(PgStateBatch, EmptyBatchDoesNothing) {
    const auto r = m_states.write_batch({});
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->empty());
    EXPECT_EQ(m_events.latest_seq(m_account.id), 0);
}

TEST_F(PgStateBatch, ItemsOfDifferentAccountsAreRefused) {
    const auto other = make_account();
    const auto od = make_device(other.id);
    EXPECT_THROW((void)m_states.write_batch(
                     {put("a", Precondition::create(), "a"),
                      PgRepositoryFixture::put(other.id, od.id, "b", Precondition::create(), "b")}),
                 std::invalid_argument);
}

}  // namespace
}  // namespace edgesync::test
