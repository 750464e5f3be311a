#include <gtest/gtest.h>

#include "tests/integration/pg_repository_fixture.hpp"

namespace edgesync::test {
namespace {

using Reason = WriteRejection::Reason;

class PgStateRepo : public PgRepositoryFixture {
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
    std::int64_t used_bytes() { return m_accounts.find_by_id(m_account.id)->used_bytes; }

    Account m_account;
    Device m_device;
};

TEST_F(PgStateRepo, CreateStoresBlobAndStartsAtVersionOne) {
    const Bytes blob{0, 1, 2, 0x5C, 0xFF, 0};  // binary, with NUL and backslash
    const Bytes nonce(24, 0xAB);
    const auto r = m_states.write(
        {m_account.id, m_device.id, "k1", Precondition::create(), PutState{blob, nonce}});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->version, 1);
    EXPECT_EQ(r->seq, 1);

    const auto s = m_states.get(m_account.id, "k1");
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->state, blob);
    EXPECT_EQ(s->nonce, nonce);
    EXPECT_EQ(s->version, 1);
    EXPECT_EQ(s->seq, 1);
    EXPECT_EQ(s->size, 6);
    EXPECT_EQ(s->device_id, m_device.id);
    EXPECT_EQ(s->account_id, m_account.id);
    EXPECT_FALSE(s->deleted());
    EXPECT_EQ(used_bytes(), 6);
    EXPECT_EQ(m_events.latest_seq(m_account.id), 1);
}

TEST_F(PgStateRepo, CreatingAnExistingKeyIsAConflictWithTheCurrentState) {
    ASSERT_TRUE(m_states.write(put("k", Precondition::create(), "one")).has_value());
    const auto r = m_states.write(put("k", Precondition::create(), "two"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().reason, Reason::conflict);
    ASSERT_TRUE(r.error().current.has_value());
    EXPECT_EQ(to_string(r.error().current->state), "one");
    EXPECT_EQ(r.error().current->version, 1);
    EXPECT_EQ(r.error().current->key, "k");
    EXPECT_EQ(m_events.latest_seq(m_account.id), 1);
}

TEST_F(PgStateRepo, MatchingVersionUpdatesAndBumpsVersionAndSeq) {
    ASSERT_TRUE(m_states.write(put("k", Precondition::create(), "one")).has_value());
    const auto r = m_states.write(put("k", Precondition::if_version(1), "three"));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->version, 2);
    EXPECT_EQ(r->seq, 2);
    EXPECT_EQ(to_string(m_states.get(m_account.id, "k")->state), "three");
    EXPECT_EQ(used_bytes(), 5);
}

TEST_F(PgStateRepo, StaleVersionIsRejected) {
    ASSERT_TRUE(m_states.write(put("k", Precondition::create(), "one")).has_value());
    ASSERT_TRUE(m_states.write(put("k", Precondition::if_version(1), "two")).has_value());
    const auto r = m_states.write(put("k", Precondition::if_version(1), "stale"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().reason, Reason::conflict);
    EXPECT_EQ(r.error().current->version, 2);
    EXPECT_EQ(to_string(r.error().current->state), "two");
    EXPECT_EQ(to_string(m_states.get(m_account.id, "k")->state), "two");
}

TEST_F(PgStateRepo, UpdatingAKeyThatNeverExistedIsNotFound) {
    const auto r = m_states.write(put("ghost", Precondition::if_version(1), "x"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().reason, Reason::not_found);
    EXPECT_FALSE(r.error().current.has_value());
    const auto d = m_states.write(del("ghost", 1));
    EXPECT_EQ(d.error().reason, Reason::not_found);
    const auto zero = m_states.write(put("ghost", Precondition::if_version(0), "x"));
    EXPECT_EQ(zero.error().reason, Reason::not_found);  // If-Match "0" is not a create
    EXPECT_EQ(m_events.latest_seq(m_account.id), 0);
}

TEST_F(PgStateRepo, DeleteLeavesATombstoneAndFreesItsBytes) {
    ASSERT_TRUE(m_states.write(put("k", Precondition::create(), "12345")).has_value());
    const auto r = m_states.write(del("k", 1));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->version, 2);
    EXPECT_EQ(r->seq, 2);
    const auto s = m_states.get(m_account.id, "k");
    ASSERT_TRUE(s.has_value());
    EXPECT_TRUE(s->deleted());
    EXPECT_TRUE(s->state.empty());
    EXPECT_TRUE(s->nonce.empty());
    EXPECT_EQ(s->size, 0);
    EXPECT_EQ(used_bytes(), 0);

    const auto again = m_states.write(del("k", 2));  // deleting a tombstone
    EXPECT_EQ(again.error().reason, Reason::not_found);
    const auto stale = m_states.write(del("k", 1));
    EXPECT_EQ(stale.error().reason, Reason::conflict);
    EXPECT_TRUE(stale.error().current->deleted());
}

TEST_F(PgStateRepo, DeleteWithCreatePreconditionIsRejected) {
    const auto absent =
        m_states.write({m_account.id, m_device.id, "k", Precondition::create(), DeleteState{}});
    EXPECT_EQ(absent.error().reason, Reason::not_found);
    ASSERT_TRUE(m_states.write(put("k", Precondition::create(), "x")).has_value());
    const auto live =
        m_states.write({m_account.id, m_device.id, "k", Precondition::create(), DeleteState{}});
    EXPECT_EQ(live.error().reason, Reason::conflict);
    EXPECT_FALSE(m_states.get(m_account.id, "k")->deleted());
}

TEST_F(PgStateRepo, RecreatingADeletedKeyRevivesItWithTheNextVersion) {
    ASSERT_TRUE(m_states.write(put("k", Precondition::create(), "one")).has_value());
    ASSERT_TRUE(m_states.write(del("k", 1)).has_value());
    const auto r = m_states.write(put("k", Precondition::create(), "reborn"));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->version, 3);
    EXPECT_EQ(r->seq, 3);
    const auto s = m_states.get(m_account.id, "k");
    EXPECT_FALSE(s->deleted());
    EXPECT_EQ(to_string(s->state), "reborn");
    EXPECT_EQ(used_bytes(), 6);
}

TEST_F(PgStateRepo, UsedBytesTracksOverwritesAndTombstones) {
    ASSERT_TRUE(m_states.write(put("a", Precondition::create(), "1234567890")).has_value());
    ASSERT_TRUE(m_states.write(put("b", Precondition::create(), "12345")).has_value());
    EXPECT_EQ(used_bytes(), 15);
    ASSERT_TRUE(m_states.write(put("a", Precondition::if_version(1), "12")).has_value());
    EXPECT_EQ(used_bytes(), 7);
    ASSERT_TRUE(m_states.write(del("b", 1)).has_value());
    EXPECT_EQ(used_bytes(), 2);
    ASSERT_TRUE(m_states.write(put("b", Precondition::create(), "123")).has_value());
    EXPECT_EQ(used_bytes(), 5);
}

TEST_F(PgStateRepo, QuotaExceededIsRejectedAndChangesNothing) {
    const auto small = make_account(10);
    const auto dev = make_device(small.id);
    auto w = [&](const std::string& key, Precondition pre, const std::string& blob) {
        return m_states.write(PgRepositoryFixture::put(small.id, dev.id, key, pre, blob));
    };
    ASSERT_TRUE(w("a", Precondition::create(), "12345678").has_value());
    const auto over = w("b", Precondition::create(), "123");
    ASSERT_FALSE(over.has_value());
    EXPECT_EQ(over.error().reason, Reason::quota_exceeded);
    EXPECT_FALSE(m_states.get(small.id, "b").has_value());
    const auto grow = w("a", Precondition::if_version(1), "12345678901");
    EXPECT_EQ(grow.error().reason, Reason::quota_exceeded);
    EXPECT_EQ(to_string(m_states.get(small.id, "a")->state), "12345678");

    const auto after = m_accounts.find_by_id(small.id);
    EXPECT_EQ(after->used_bytes, 8);
    EXPECT_EQ(after->last_seq, 1);
    EXPECT_EQ(m_events.list(small.id, 0, 100).size(), 1U);
    // Exactly at the quota is fine, and shrinking always is.
    ASSERT_TRUE(w("b", Precondition::create(), "12").has_value());
    ASSERT_TRUE(w("a", Precondition::if_version(1), "1").has_value());
    EXPECT_EQ(m_accounts.find_by_id(small.id)->used_bytes, 3);
}

TEST_F(PgStateRepo, WritesToDisabledOrDeletedAccountsAreRejected) {
    ASSERT_TRUE(m_accounts.set_disabled(m_account.id, true));
    EXPECT_EQ(m_states.write(put("k", Precondition::create(), "x")).error().reason,
              Reason::account_missing);
    ASSERT_TRUE(m_accounts.set_disabled(m_account.id, false));
    ASSERT_TRUE(m_accounts.soft_delete(m_account.id));
    EXPECT_EQ(m_states.write(put("k", Precondition::create(), "x")).error().reason,
              Reason::account_missing);
    EXPECT_EQ(m_states.write({"not-a-uuid", m_device.id, "k", Precondition::create(), PutState{}})
                  .error()
                  .reason,
              Reason::account_missing);
    EXPECT_FALSE(m_states.get(m_account.id, "k").has_value());
}

TEST_F(PgStateRepo, WriteByADeviceOfAnotherAccountIsRefused) {
    const auto other = make_account();
    const auto stranger = make_device(other.id);
    const auto r = m_states.write(
        PgRepositoryFixture::put(m_account.id, stranger.id, "k", Precondition::create(), "x"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().reason, Reason::device_revoked);
    EXPECT_FALSE(m_states.get(m_account.id, "k").has_value());
    EXPECT_EQ(m_events.latest_seq(m_account.id), 0);
}

TEST_F(PgStateRepo, WriteByARevokedDeviceIsRefusedAndChangesNothing) {
    ASSERT_TRUE(m_states.write(put("k", Precondition::create(), "x")).has_value());
    ASSERT_TRUE(m_devices.revoke(m_account.id, m_device.id).has_value());
    const auto r = m_states.write(put("k", Precondition::if_version(1), "y"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().reason, Reason::device_revoked);
    EXPECT_EQ(to_string(m_states.get(m_account.id, "k")->state), "x");
    EXPECT_EQ(m_events.latest_seq(m_account.id), 1);
    // Another, live device of the account still writes.
    const auto other = make_device(m_account.id, "desktop");
    EXPECT_TRUE(m_states
                    .write(PgRepositoryFixture::put(m_account.id, other.id, "k",
                                                    Precondition::if_version(1), "z"))
                    .has_value());
}

TEST_F(PgStateRepo, StatesOfAnotherAccountAreInvisible) {
    ASSERT_TRUE(m_states.write(put("shared-name", Precondition::create(), "secret")).has_value());
    const auto other = make_account();
    const auto od = make_device(other.id);
    EXPECT_FALSE(m_states.get(other.id, "shared-name").has_value());
    EXPECT_TRUE(m_states.changes(other.id, 0, 100).states.empty());
    EXPECT_TRUE(m_states.list_metadata(other.id, 100, 0).empty());
    EXPECT_TRUE(m_events.list(other.id, 0, 100).empty());
    // The same key in the other account is a different state with its own sequence.
    const auto r = m_states.write(
        PgRepositoryFixture::put(other.id, od.id, "shared-name", Precondition::create(), "mine"));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->seq, 1);
    EXPECT_EQ(to_string(m_states.get(m_account.id, "shared-name")->state), "secret");
}

TEST_F(PgStateRepo, ChangesReturnLatestVersionOfEachKeyInSeqOrderWithTombstones) {
    ASSERT_TRUE(m_states.write(put("a", Precondition::create(), "a1")).has_value());       // 1
    ASSERT_TRUE(m_states.write(put("b", Precondition::create(), "b1")).has_value());       // 2
    ASSERT_TRUE(m_states.write(put("a", Precondition::if_version(1), "a2")).has_value());  // 3
    ASSERT_TRUE(m_states.write(del("b", 1)).has_value());                                  // 4
    ASSERT_TRUE(m_states.write(put("c", Precondition::create(), "c1")).has_value());       // 5

    const auto all = m_states.changes(m_account.id, 0, 100);
    ASSERT_EQ(all.states.size(), 3U);
    EXPECT_EQ(all.states[0].key, "a");
    EXPECT_EQ(all.states[0].seq, 3);
    EXPECT_EQ(to_string(all.states[0].state), "a2");
    EXPECT_EQ(all.states[1].key, "b");
    EXPECT_TRUE(all.states[1].deleted());
    EXPECT_EQ(all.states[2].key, "c");
    EXPECT_EQ(all.next, 5);
    EXPECT_FALSE(all.more);

    const auto tail = m_states.changes(m_account.id, 4, 100);
    ASSERT_EQ(tail.states.size(), 1U);
    EXPECT_EQ(tail.states[0].key, "c");

    const auto none = m_states.changes(m_account.id, 5, 100);
    EXPECT_TRUE(none.states.empty());
    EXPECT_EQ(none.next, 5);
    EXPECT_FALSE(none.more);
}

TEST_F(PgStateRepo, ChangesPageByLimit) {
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(
            m_states.write(put("k" + std::to_string(i), Precondition::create(), "x")).has_value());
    const auto p1 = m_states.changes(m_account.id, 0, 2);
    ASSERT_EQ(p1.states.size(), 2U);
    EXPECT_EQ(p1.next, 2);
    EXPECT_TRUE(p1.more);
    const auto p2 = m_states.changes(m_account.id, p1.next, 2);
    EXPECT_EQ(p2.next, 4);
    EXPECT_TRUE(p2.more);
    const auto p3 = m_states.changes(m_account.id, p2.next, 2);
    ASSERT_EQ(p3.states.size(), 1U);
    EXPECT_EQ(p3.next, 5);
    EXPECT_FALSE(p3.more);
    const auto exact = m_states.changes(m_account.id, 3, 2);  // exactly the last two
    EXPECT_EQ(exact.states.size(), 2U);
    EXPECT_FALSE(exact.more);
    const auto zero = m_states.changes(m_account.id, 0, 0);
    EXPECT_TRUE(zero.states.empty());
    EXPECT_EQ(zero.next, 0);
    EXPECT_TRUE(zero.more);
}

TEST_F(PgStateRepo, ChangesStopAtTheByteBudgetButAlwaysReturnOneRow) {
    ASSERT_TRUE(m_states.write(put("a", Precondition::create(), std::string(40, 'a'))).has_value());
    ASSERT_TRUE(m_states.write(put("b", Precondition::create(), std::string(40, 'b'))).has_value());
    ASSERT_TRUE(m_states.write(put("c", Precondition::create(), std::string(40, 'c'))).has_value());
    const auto p = m_states.changes(m_account.id, 0, 100, 85);
    ASSERT_EQ(p.states.size(), 2U);
    EXPECT_EQ(p.next, 2);
    EXPECT_TRUE(p.more);
    const auto tiny = m_states.changes(m_account.id, 0, 100, 1);
    ASSERT_EQ(tiny.states.size(), 1U);  // bigger than the budget, sent anyway
    EXPECT_EQ(tiny.next, 1);
    EXPECT_TRUE(tiny.more);
    const auto rest = m_states.changes(m_account.id, 2, 100, 40);
    ASSERT_EQ(rest.states.size(), 1U);
    EXPECT_FALSE(rest.more);
}

TEST_F(PgStateRepo, ListMetadataOmitsBlobsAndOrdersByKey) {
    ASSERT_TRUE(m_states.write(put("b", Precondition::create(), "bbb")).has_value());
    ASSERT_TRUE(m_states.write(put("a", Precondition::create(), "aa")).has_value());
    ASSERT_TRUE(m_states.write(put("c", Precondition::create(), "c")).has_value());
    const auto all = m_states.list_metadata(m_account.id, 10, 0);
    ASSERT_EQ(all.size(), 3U);
    EXPECT_EQ(all[0].key, "a");
    EXPECT_EQ(all[0].size, 2);
    EXPECT_TRUE(all[0].state.empty());
    EXPECT_TRUE(all[0].nonce.empty());
    EXPECT_EQ(all[2].key, "c");
    const auto page = m_states.list_metadata(m_account.id, 1, 1);
    ASSERT_EQ(page.size(), 1U);
    EXPECT_EQ(page[0].key, "b");
}

TEST_F(PgStateRepo, EventsRecordEveryWriteInOrder) {
    ASSERT_TRUE(m_states.write(put("a", Precondition::create(), "123")).has_value());
    ASSERT_TRUE(m_states.write(del("a", 1)).has_value());
    const auto events = m_events.list(m_account.id, 0, 10);
    ASSERT_EQ(events.size(), 2U);
    EXPECT_EQ(events[0].sequence_number, 1);
    EXPECT_EQ(events[0].event_type, "state.put");
    EXPECT_EQ(events[0].state_key, "a");
    EXPECT_EQ(events[0].device_id, m_device.id);
    EXPECT_EQ(events[0].account_id, m_account.id);
    EXPECT_EQ(events[0].payload, R"({"size": 3, "version": 1})");
    EXPECT_EQ(events[1].sequence_number, 2);
    EXPECT_EQ(events[1].event_type, "state.delete");
    EXPECT_EQ(m_events.list(m_account.id, 1, 10).size(), 1U);
    EXPECT_EQ(m_events.list(m_account.id, 0, 1).size(), 1U);
    EXPECT_EQ(m_events.latest_seq(m_account.id), 2);
    EXPECT_EQ(m_events.latest_seq(new_uuid()), 0);
}

}  // namespace
}  // namespace edgesync::test
