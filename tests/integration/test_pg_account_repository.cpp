#include <gtest/gtest.h>

#include <algorithm>

#include "tests/integration/pg_repository_fixture.hpp"

namespace edgesync::test {
namespace {

class PgAccountRepo : public PgRepositoryFixture {};

TEST_F(PgAccountRepo, CreateReturnsTheStoredAccount) {
    const auto a = m_accounts.create({"Alice@Example.org", "hash-1", 1000});
    ASSERT_TRUE(a.has_value());
    EXPECT_TRUE(is_uuid(a->id));
    EXPECT_EQ(a->email, "Alice@Example.org");  // letter case kept
    EXPECT_EQ(a->password_hash, "hash-1");
    EXPECT_EQ(a->quota_bytes, 1000);
    EXPECT_EQ(a->last_seq, 0);
    EXPECT_EQ(a->used_bytes, 0);
    EXPECT_FALSE(a->deleted());
    EXPECT_FALSE(a->disabled());
    EXPECT_LE(a->created_at, now());
    EXPECT_GT(a->created_at, now() - std::chrono::hours(1));

    const auto found = m_accounts.find_by_id(a->id);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->email, a->email);
    EXPECT_EQ(found->created_at, a->created_at);
    EXPECT_FALSE(m_accounts.create({"nolimit@example.org", "h", std::nullopt})->quota_bytes);
}

TEST_F(PgAccountRepo, EmailsCollideCaseInsensitivelyWhileBothLive) {
    ASSERT_TRUE(m_accounts.create({"Foo@x.io", "h", {}}).has_value());
    const auto dup = m_accounts.create({"foo@x.io", "h", {}});
    ASSERT_FALSE(dup.has_value());
    EXPECT_EQ(dup.error(), AccountError::email_taken);
}

TEST_F(PgAccountRepo, FindByEmailIsCaseInsensitiveAndOnlyLive) {
    const auto a = make_account(std::nullopt, "Bob@Example.org");
    const auto found = m_accounts.find_by_email("bob@EXAMPLE.org");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->id, a.id);
    ASSERT_TRUE(m_accounts.soft_delete(a.id));
    EXPECT_FALSE(m_accounts.find_by_email("bob@example.org").has_value());
    EXPECT_FALSE(m_accounts.find_by_email("nobody@example.org").has_value());
}

TEST_F(PgAccountRepo, DeletedAccountsEmailCanBeRegisteredAgain) {
    const auto first = make_account(std::nullopt, "again@x.io");
    ASSERT_TRUE(m_accounts.soft_delete(first.id));
    const auto second = m_accounts.create({"Again@x.io", "h2", {}});
    ASSERT_TRUE(second.has_value());
    EXPECT_NE(second->id, first.id);
    EXPECT_EQ(m_accounts.find_by_email("again@x.io")->id, second->id);
    // The deleted one is still there by id, marked deleted.
    const auto old = m_accounts.find_by_id(first.id);
    ASSERT_TRUE(old.has_value());
    EXPECT_TRUE(old->deleted());
}

TEST_F(PgAccountRepo, SoftDeleteRevokesEveryDeviceAndIsNotRepeatable) {
    const auto a = make_account();
    const auto d1 = make_device(a.id, "one");
    make_device(a.id, "two");
    ASSERT_TRUE(m_devices.set_wrapped_key(a.id, d1.id, Bytes(48, 1), 1).has_value());
    ASSERT_TRUE(m_accounts.soft_delete(a.id));
    for (const auto& d : m_devices.list(a.id)) {
        EXPECT_TRUE(d.revoked()) << d.name;
        EXPECT_FALSE(d.wrapped_account_key.has_value()) << d.name;
    }
    EXPECT_EQ(m_devices.list(a.id).size(), 2U);
    EXPECT_FALSE(m_accounts.soft_delete(a.id));
    EXPECT_FALSE(m_accounts.set_disabled(a.id, true));
    EXPECT_FALSE(m_accounts.set_password_hash(a.id, "x"));
    EXPECT_FALSE(m_accounts.put_key({.account_id = a.id,
                                     .kdf_salt = Bytes(16, 1),
                                     .kdf_opslimit = 2,
                                     .kdf_memlimit = 1 << 20,
                                     .nonce = Bytes(24, 2),
                                     .wrapped_key = Bytes(48, 3)}));
}

TEST_F(PgAccountRepo, SoftDeleteLeavesOtherAccountsDevicesAlone) {
    const auto a = make_account();
    const auto b = make_account();
    const auto db = make_device(b.id);
    ASSERT_TRUE(m_accounts.soft_delete(a.id));
    EXPECT_FALSE(m_devices.find(b.id, db.id)->revoked());
}

TEST_F(PgAccountRepo, DisableAndEnableToggleDisabledAt) {
    const auto a = make_account();
    ASSERT_TRUE(m_accounts.set_disabled(a.id, true));
    const auto disabled = m_accounts.find_by_id(a.id);
    ASSERT_TRUE(disabled->disabled());
    ASSERT_TRUE(m_accounts.set_disabled(a.id, true));  // keeps the first time
    EXPECT_EQ(m_accounts.find_by_id(a.id)->disabled_at, disabled->disabled_at);
    ASSERT_TRUE(m_accounts.set_disabled(a.id, false));
    EXPECT_FALSE(m_accounts.find_by_id(a.id)->disabled());
}

TEST_F(PgAccountRepo, SetPasswordHashReplacesIt) {
    const auto a = make_account();
    ASSERT_TRUE(m_accounts.set_password_hash(a.id, "new-hash"));
    EXPECT_EQ(m_accounts.find_by_id(a.id)->password_hash, "new-hash");
}

TEST_F(PgAccountRepo, ReplacePasswordHashOnlyReplacesTheExpectedHash) {
    const auto a = make_account();
    EXPECT_FALSE(m_accounts.replace_password_hash(a.id, "not-the-hash", "other"));
    EXPECT_EQ(m_accounts.find_by_id(a.id)->password_hash, a.password_hash);
    ASSERT_TRUE(m_accounts.replace_password_hash(a.id, a.password_hash, "new-hash"));
    EXPECT_EQ(m_accounts.find_by_id(a.id)->password_hash, "new-hash");
    EXPECT_FALSE(m_accounts.replace_password_hash("x", "new-hash", "h"));
}

TEST_F(PgAccountRepo, UnknownOrMalformedIdsAreNotFound) {
    const std::string unknown = new_uuid();
    EXPECT_FALSE(m_accounts.find_by_id(unknown).has_value());
    EXPECT_FALSE(m_accounts.find_by_id("not-a-uuid").has_value());
    EXPECT_FALSE(m_accounts.set_disabled(unknown, true));
    EXPECT_FALSE(m_accounts.set_password_hash("x", "h"));
    EXPECT_FALSE(m_accounts.soft_delete(unknown));
    EXPECT_FALSE(m_accounts.get_key(unknown).has_value());
}

TEST_F(PgAccountRepo, ListFiltersByEmailSubstringAndPages) {
    make_account(std::nullopt, "ann@alpha.io");
    make_account(std::nullopt, "ben@ALPHA.io");
    const auto gone = make_account(std::nullopt, "cat@alpha.io");
    make_account(std::nullopt, "dan@beta.io");
    ASSERT_TRUE(m_accounts.soft_delete(gone.id));

    AccountListQuery q;
    q.search = "Alpha";
    auto live = m_accounts.list(q);
    ASSERT_EQ(live.size(), 2U);
    EXPECT_EQ(live[0].email, "ann@alpha.io");  // creation order
    EXPECT_EQ(live[1].email, "ben@ALPHA.io");
    EXPECT_EQ(m_accounts.count(q), 2U);

    q.include_deleted = true;
    EXPECT_EQ(m_accounts.count(q), 3U);
    q.limit = 1;
    q.offset = 2;
    const auto page = m_accounts.list(q);
    ASSERT_EQ(page.size(), 1U);
    EXPECT_EQ(page[0].email, "cat@alpha.io");

    EXPECT_EQ(m_accounts.count({}), 3U);  // live ones, no filter
    AccountListQuery wildcard;
    wildcard.search = "%";  // no LIKE semantics
    EXPECT_EQ(m_accounts.count(wildcard), 0U);
}

TEST_F(PgAccountRepo, PutKeyCreatesThenReplacesTheRecoveryKey) {
    const auto a = make_account();
    EXPECT_FALSE(m_accounts.get_key(a.id).has_value());
    AccountKey k{.account_id = a.id,
                 .kdf_salt = Bytes{0, 1, 2, 0xFF},
                 .kdf_opslimit = 2,
                 .kdf_memlimit = 67108864,
                 .nonce = Bytes(24, 0),
                 .wrapped_key = Bytes{0, 0, 9},
                 .key_version = 1};
    ASSERT_TRUE(m_accounts.put_key(k));
    auto got = m_accounts.get_key(a.id);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->kdf_salt, k.kdf_salt);
    EXPECT_EQ(got->kdf_opslimit, 2U);
    EXPECT_EQ(got->kdf_memlimit, 67108864U);
    EXPECT_EQ(got->nonce, k.nonce);
    EXPECT_EQ(got->wrapped_key, k.wrapped_key);
    EXPECT_EQ(got->key_version, 1);

    k.wrapped_key = Bytes{7, 7};
    k.key_version = 2;
    ASSERT_TRUE(m_accounts.put_key(k));
    got = m_accounts.get_key(a.id);
    EXPECT_EQ(got->wrapped_key, (Bytes{7, 7}));
    EXPECT_EQ(got->key_version, 2);
    EXPECT_FALSE(m_accounts.put_key({.account_id = new_uuid(),
                                     .kdf_salt = Bytes(16, 1),
                                     .kdf_opslimit = 2,
                                     .kdf_memlimit = 1,
                                     .nonce = Bytes(24, 2),
                                     .wrapped_key = Bytes(48, 3)}));
}

}  // namespace
}  // namespace edgesync::test
