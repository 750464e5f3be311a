#include <gtest/gtest.h>

#include "tests/integration/pg_repository_fixture.hpp"

namespace edgesync::test {
namespace {

class PgDeviceRepo : public PgRepositoryFixture {};

TEST_F(PgDeviceRepo, CreateStoresEveryField) {
    const auto a = make_account();
    NewDevice nd{a.id, "phone", DeviceType::mobile, Bytes{0, 1, 2, 0xFE, 0xFF}};
    const auto d = m_devices.create(nd);
    ASSERT_TRUE(d.has_value());
    EXPECT_TRUE(is_uuid(d->id));
    EXPECT_EQ(d->account_id, a.id);
    EXPECT_EQ(d->name, "phone");
    EXPECT_EQ(d->device_type, DeviceType::mobile);
    EXPECT_EQ(d->public_key, nd.public_key);
    EXPECT_FALSE(d->revoked());
    EXPECT_FALSE(d->last_seen_at.has_value());
    EXPECT_FALSE(d->wrapped_account_key.has_value());
    EXPECT_EQ(d->key_version, 0);

    const auto found = m_devices.find(a.id, d->id);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->public_key, nd.public_key);
    EXPECT_EQ(found->created_at, d->created_at);
}

TEST_F(PgDeviceRepo, CreateForMissingOrDeletedAccountFails) {
    EXPECT_EQ(m_devices.create({new_uuid(), "x", DeviceType::agent, {}}).error(),
              DeviceError::account_not_found);
    EXPECT_EQ(m_devices.create({"nope", "x", DeviceType::agent, {}}).error(),
              DeviceError::account_not_found);
    const auto a = make_account();
    ASSERT_TRUE(m_accounts.soft_delete(a.id));
    EXPECT_EQ(m_devices.create({a.id, "x", DeviceType::agent, {}}).error(),
              DeviceError::account_not_found);
}

TEST_F(PgDeviceRepo, EmptyPublicKeyIsStoredAsAbsent) {
    const auto a = make_account();
    const auto d = m_devices.create({a.id, "browser", DeviceType::browser, {}});
    ASSERT_TRUE(d.has_value());
    EXPECT_TRUE(m_devices.find(a.id, d->id)->public_key.empty());
}

TEST_F(PgDeviceRepo, DevicesOfAnotherAccountAreInvisible) {
    const auto a = make_account();
    const auto b = make_account();
    const auto da = make_device(a.id, "mine");
    EXPECT_FALSE(m_devices.find(b.id, da.id).has_value());
    EXPECT_TRUE(m_devices.find_by_name(b.id, "mine").empty());
    EXPECT_TRUE(m_devices.list(b.id).empty());
    EXPECT_EQ(m_devices.rename(b.id, da.id, "stolen").error(), DeviceError::not_found);
    EXPECT_EQ(m_devices.revoke(b.id, da.id).error(), DeviceError::not_found);
    EXPECT_EQ(m_devices.set_wrapped_key(b.id, da.id, Bytes(48, 1), 1).error(),
              DeviceError::not_found);
    EXPECT_TRUE(m_devices.revoke_all(b.id).empty());
    m_devices.touch_last_seen(b.id, da.id, now());

    const auto still = m_devices.find(a.id, da.id);
    EXPECT_EQ(still->name, "mine");
    EXPECT_FALSE(still->revoked());
    EXPECT_FALSE(still->wrapped_account_key.has_value());
    EXPECT_FALSE(still->last_seen_at.has_value());
}

TEST_F(PgDeviceRepo, FindByNameMatchesExactlyAndMayReturnSeveral) {
    const auto a = make_account();
    make_device(a.id, "laptop");
    make_device(a.id, "laptop");
    make_device(a.id, "Laptop");
    EXPECT_EQ(m_devices.find_by_name(a.id, "laptop").size(), 2U);
    EXPECT_EQ(m_devices.find_by_name(a.id, "Laptop").size(), 1U);
    EXPECT_TRUE(m_devices.find_by_name(a.id, "lap").empty());
}

TEST_F(PgDeviceRepo, ListCanLeaveOutRevokedDevices) {
    const auto a = make_account();
    const auto first = make_device(a.id, "first");
    const auto second = make_device(a.id, "second");
    ASSERT_TRUE(m_devices.revoke(a.id, first.id).has_value());
    const auto all = m_devices.list(a.id);
    ASSERT_EQ(all.size(), 2U);
    EXPECT_EQ(all[0].id, first.id);  // creation order
    const auto active = m_devices.list(a.id, false);
    ASSERT_EQ(active.size(), 1U);
    EXPECT_EQ(active[0].id, second.id);
}

TEST_F(PgDeviceRepo, RenameChangesTheName) {
    const auto a = make_account();
    const auto d = make_device(a.id, "old");
    const auto renamed = m_devices.rename(a.id, d.id, "new");
    ASSERT_TRUE(renamed.has_value());
    EXPECT_EQ(renamed->name, "new");
    EXPECT_EQ(m_devices.find(a.id, d.id)->name, "new");
    EXPECT_EQ(m_devices.rename(a.id, new_uuid(), "x").error(), DeviceError::not_found);
}

TEST_F(PgDeviceRepo, RevokeIsIdempotentKeepsFirstTimeAndClearsWrappedKey) {
    const auto a = make_account();
    const auto d = make_device(a.id);
    ASSERT_TRUE(m_devices.set_wrapped_key(a.id, d.id, Bytes(48, 9), 3).has_value());
    const auto first = m_devices.revoke(a.id, d.id);
    ASSERT_TRUE(first.has_value());
    ASSERT_TRUE(first->revoked());
    EXPECT_FALSE(first->wrapped_account_key.has_value());
    const auto second = m_devices.revoke(a.id, d.id);
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->revoked_at, first->revoked_at);
    EXPECT_EQ(second->updated_at, first->updated_at);
}

TEST_F(PgDeviceRepo, RevokeAllReturnsOnlyTheDevicesRevokedNow) {
    const auto a = make_account();
    const auto d1 = make_device(a.id, "1");
    const auto d2 = make_device(a.id, "2");
    const auto d3 = make_device(a.id, "3");
    ASSERT_TRUE(m_devices.revoke(a.id, d1.id).has_value());
    auto ids = m_devices.revoke_all(a.id);
    std::sort(ids.begin(), ids.end());
    std::vector<std::string> expected{d2.id, d3.id};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(ids, expected);
    EXPECT_TRUE(m_devices.list(a.id, false).empty());
    EXPECT_TRUE(m_devices.revoke_all(a.id).empty());
}

TEST_F(PgDeviceRepo, SetWrappedKeyIsRefusedForRevokedDevices) {
    const auto a = make_account();
    const auto d = make_device(a.id);
    const auto set = m_devices.set_wrapped_key(a.id, d.id, Bytes{1, 2, 3, 0}, 4);
    ASSERT_TRUE(set.has_value());
    EXPECT_EQ(set->wrapped_account_key, (Bytes{1, 2, 3, 0}));
    EXPECT_EQ(set->key_version, 4);
    ASSERT_TRUE(m_devices.revoke(a.id, d.id).has_value());
    EXPECT_EQ(m_devices.set_wrapped_key(a.id, d.id, Bytes{5}, 5).error(), DeviceError::revoked);
    EXPECT_FALSE(m_devices.find(a.id, d.id)->wrapped_account_key.has_value());
    EXPECT_EQ(m_devices.set_wrapped_key(a.id, new_uuid(), Bytes{5}, 5).error(),
              DeviceError::not_found);
}

TEST_F(PgDeviceRepo, TouchLastSeenNeverMovesBackwards) {
    const auto a = make_account();
    const auto d = make_device(a.id);
    const Timestamp later = from_unix(2'000'000'000) + std::chrono::microseconds(123456);
    const Timestamp earlier = from_unix(1'900'000'000);
    m_devices.touch_last_seen(a.id, d.id, later);
    EXPECT_EQ(m_devices.find(a.id, d.id)->last_seen_at, later);
    m_devices.touch_last_seen(a.id, d.id, earlier);
    EXPECT_EQ(m_devices.find(a.id, d.id)->last_seen_at, later);
}

}  // namespace
}  // namespace edgesync::test
