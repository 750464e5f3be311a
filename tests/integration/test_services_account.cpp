#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "shared/crypto/password.hpp"
#include "tests/integration/services_fixture.hpp"

namespace edgesync::test {
namespace {

class AccountServiceTest : public ServicesFixture {};

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

TEST_F(AccountServiceTest, CreateStoresTrimmedEmailAndAnArgon2idHashOfThePassword) {
    const auto email = random_email();
    const auto a = m_accounts.create("  " + email + "\t", password(), 1000);
    ASSERT_TRUE(a.has_value()) << a.error().message;
    EXPECT_TRUE(is_uuid(a->id));
    EXPECT_EQ(a->email, email);
    EXPECT_EQ(a->quota_bytes, 1000);
    EXPECT_TRUE(a->password_hash.starts_with("$argon2id$"));
    EXPECT_TRUE(crypto::verify_password(a->password_hash, password()));
    EXPECT_EQ(m_account_repo.find_by_id(a->id)->password_hash, a->password_hash);
}

TEST_F(AccountServiceTest, CreateRejectsInvalidEmailAndStoresNothing) {
    for (const char* bad : {"no-at-sign.example.org", "two@@example.org", "@example.org", "user@",
                            "us er@example.org", "x"}) {
        const auto a = m_accounts.create(bad, password());
        ASSERT_FALSE(a.has_value()) << bad;
        EXPECT_EQ(a.error().code, ServiceErrorCode::invalid_email) << bad;
    }
    EXPECT_EQ(m_account_repo.count({}), 0U);
}

TEST_F(AccountServiceTest, CreateRejectsWeakPasswordWithThePolicyMessage) {
    const auto a = m_accounts.create(random_email(), "short");
    ASSERT_FALSE(a.has_value());
    EXPECT_EQ(a.error().code, ServiceErrorCode::weak_password);
    EXPECT_EQ(a.error().message, *crypto::check_password_policy("short"));
    EXPECT_EQ(m_account_repo.count({}), 0U);
}

TEST_F(AccountServiceTest, CreateRejectsNegativeQuota) {
    const auto a = m_accounts.create(random_email(), password(), -1);
    ASSERT_FALSE(a.has_value());
    EXPECT_EQ(a.error().code, ServiceErrorCode::invalid_argument);
}

TEST_F(AccountServiceTest, CreateRejectsAnEmailTakenInAnotherLetterCase) {
    const auto email = random_email();
    ASSERT_TRUE(m_accounts.create(email, password()).has_value());
    const auto again = m_accounts.create(upper(email), password());
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code, ServiceErrorCode::email_taken);
    EXPECT_EQ(m_account_repo.count({}), 1U);
}

TEST_F(AccountServiceTest, ResolveFindsAnAccountByIdInAnyCaseOrByEmailInAnyCase) {
    const auto a = make_account();
    for (const auto& ref : {a.id, upper(a.id), a.email, upper(a.email), " " + a.email + " "}) {
        const auto r = m_accounts.resolve(ref);
        ASSERT_TRUE(r.has_value()) << ref << ": " << r.error().message;
        EXPECT_EQ(r->id, a.id) << ref;
    }
}

TEST_F(AccountServiceTest, ResolveOfUnknownIdOrEmailIsNotFound) {
    for (const auto& ref : {new_uuid(), random_email()}) {
        const auto r = m_accounts.resolve(ref);
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().code, ServiceErrorCode::not_found);
        EXPECT_NE(r.error().message.find(ref), std::string::npos) << r.error().message;
    }
}

TEST_F(AccountServiceTest, ResolveOfGarbageIsInvalidAndSaysWhatARefIs) {
    const auto r = m_accounts.resolve("12345-nonsense");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ServiceErrorCode::invalid_argument);
    EXPECT_NE(r.error().message.find("neither an account id (UUID) nor an email"),
              std::string::npos)
        << r.error().message;
}

TEST_F(AccountServiceTest, ResolveOfAnAtWithNothingOnOneSideIsInvalidNotAMiss) {
    for (const std::string ref : {"@", "bob@", "@example.org"})
        EXPECT_EQ(m_accounts.resolve(ref).error().code, ServiceErrorCode::invalid_argument) << ref;
}

TEST_F(AccountServiceTest, ResolveHidesDeletedAccountsUnlessAsked) {
    const auto a = make_account();
    ASSERT_TRUE(m_accounts.remove(a.id).has_value());
    EXPECT_EQ(m_accounts.resolve(a.id).error().code, ServiceErrorCode::not_found);
    EXPECT_EQ(m_accounts.resolve(a.email).error().code, ServiceErrorCode::not_found);
    const auto shown = m_accounts.resolve(a.id, /*include_deleted=*/true);
    ASSERT_TRUE(shown.has_value());
    EXPECT_TRUE(shown->deleted());
}

TEST_F(AccountServiceTest, DisableEndsEverySessionAndPublishesTheAccount) {
    const auto a = make_account();
    const auto d1 = make_device(a.id, "one");
    const auto d2 = make_device(a.id, "two");
    const auto s1 = make_session(a.id, d1.id);
    const auto s2 = make_session(a.id, d2.id);
    const auto s3 = make_session(a.id, d2.id);

    const auto r = m_accounts.disable(a.id);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->sessions_ended, 3U);
    EXPECT_EQ(r->devices_revoked, 0U);
    EXPECT_TRUE(m_account_repo.find_by_id(a.id)->disabled());
    for (const auto& s : {s1, s2, s3}) EXPECT_FALSE(session_exists(s));
    EXPECT_FALSE(m_device_repo.find(a.id, d1.id)->revoked());  // devices survive a disable
    EXPECT_EQ(m_revocations.drain(a.id), std::vector{RevocationNotice::for_account(a.id)});
}

TEST_F(AccountServiceTest, EnableLetsADisabledAccountBackIn) {
    const auto a = make_account();
    ASSERT_TRUE(m_accounts.disable(a.id).has_value());
    ASSERT_TRUE(m_accounts.enable(a.id).has_value());
    EXPECT_TRUE(m_account_repo.find_by_id(a.id)->active());
}

TEST_F(AccountServiceTest, DisableOrEnableOfMissingAccountIsNotFoundAndPublishesNothing) {
    const auto missing = new_uuid();
    EXPECT_EQ(m_accounts.disable(missing).error().code, ServiceErrorCode::not_found);
    EXPECT_EQ(m_accounts.enable(missing).error().code, ServiceErrorCode::not_found);
    EXPECT_EQ(m_accounts.disable("not-a-uuid").error().code, ServiceErrorCode::not_found);
    EXPECT_TRUE(m_revocations.drain(missing).empty());
}

TEST_F(AccountServiceTest, RemoveRevokesDevicesEndsSessionsFreesTheEmailAndPublishes) {
    const auto a = make_account();
    const auto d1 = make_device(a.id, "one");
    const auto d2 = make_device(a.id, "two");
    const auto d3 = make_device(a.id, "three");
    ASSERT_TRUE(m_device_repo.revoke(a.id, d3.id).has_value());  // already revoked: not counted
    const auto s1 = make_session(a.id, d1.id);
    const auto s2 = make_session(a.id, d2.id);

    const auto r = m_accounts.remove(a.id);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->devices_revoked, 2U);
    EXPECT_EQ(r->sessions_ended, 2U);
    EXPECT_TRUE(m_account_repo.find_by_id(a.id)->deleted());
    for (const auto& d : {d1, d2, d3}) EXPECT_TRUE(m_device_repo.find(a.id, d.id)->revoked());
    EXPECT_FALSE(session_exists(s1));
    EXPECT_FALSE(session_exists(s2));
    EXPECT_EQ(m_revocations.drain(a.id), std::vector{RevocationNotice::for_account(a.id)});

    const auto again = m_accounts.create(upper(a.email), password());
    ASSERT_TRUE(again.has_value()) << again.error().message;
    EXPECT_NE(again->id, a.id);
}

TEST_F(AccountServiceTest, RemovingADeletedAccountIsNotFound) {
    const auto a = make_account();
    ASSERT_TRUE(m_accounts.remove(a.id).has_value());
    (void)m_revocations.drain(a.id);
    EXPECT_EQ(m_accounts.remove(a.id).error().code, ServiceErrorCode::not_found);
    EXPECT_TRUE(m_revocations.drain(a.id).empty());
}

TEST_F(AccountServiceTest, ChangePasswordStoresANewHashEndsSessionsAndPublishes) {
    const auto a = make_account();
    const auto d = make_device(a.id);
    const auto s1 = make_session(a.id, d.id);
    const auto s2 = make_session(a.id, d.id);
    const std::string next = "a different passphrase, long enough";

    const auto r = m_accounts.change_password(a.id, next);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->sessions_ended, 2U);
    const auto stored = m_account_repo.find_by_id(a.id)->password_hash;
    EXPECT_TRUE(crypto::verify_password(stored, next));
    EXPECT_FALSE(crypto::verify_password(stored, password()));
    EXPECT_FALSE(session_exists(s1));
    EXPECT_FALSE(session_exists(s2));
    EXPECT_EQ(m_revocations.drain(a.id), std::vector{RevocationNotice::for_account(a.id)});
}

TEST_F(AccountServiceTest, ChangePasswordToAWeakOneChangesNothing) {
    const auto a = make_account();
    const auto s = make_session(a.id, make_device(a.id).id);
    const auto r = m_accounts.change_password(a.id, "tooshort");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ServiceErrorCode::weak_password);
    EXPECT_EQ(m_account_repo.find_by_id(a.id)->password_hash, a.password_hash);
    EXPECT_TRUE(session_exists(s));
    EXPECT_TRUE(m_revocations.drain(a.id).empty());
}

TEST_F(AccountServiceTest, ChangePasswordOfDeletedAccountIsNotFound) {
    const auto a = make_account();
    ASSERT_TRUE(m_accounts.remove(a.id).has_value());
    EXPECT_EQ(m_accounts.change_password(a.id, "a different passphrase").error().code,
              ServiceErrorCode::not_found);
}

TEST_F(AccountServiceTest, SummaryCountsDevicesLiveSessionsAndLatestActivity) {
    const auto a = make_account();
    const auto d1 = make_device(a.id, "one");
    const auto d2 = make_device(a.id, "two");
    ASSERT_TRUE(m_device_repo.revoke(a.id, d2.id).has_value());
    const Timestamp seen = now() + std::chrono::hours(2);  // later than every updated_at
    m_device_repo.touch_last_seen(a.id, d1.id, seen);
    (void)make_session(a.id, d1.id);
    (void)make_session(a.id, d1.id);

    const auto s = m_accounts.summary(a.id);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    EXPECT_EQ(s->account.id, a.id);
    EXPECT_EQ(s->devices.size(), 2U);
    EXPECT_EQ(s->live_sessions, 2U);
    EXPECT_EQ(s->account.used_bytes, 0);
    EXPECT_FALSE(s->account.quota_bytes.has_value());
    ASSERT_TRUE(s->last_activity.has_value());
    EXPECT_EQ(*s->last_activity, seen);
}

TEST_F(AccountServiceTest, SummaryWithoutDevicesHasNoActivityAndMissingAccountIsNotFound) {
    const auto a = make_account();
    const auto s = m_accounts.summary(a.id);
    ASSERT_TRUE(s.has_value());
    EXPECT_TRUE(s->devices.empty());
    EXPECT_EQ(s->live_sessions, 0U);
    EXPECT_FALSE(s->last_activity.has_value());
    EXPECT_EQ(m_accounts.summary(new_uuid()).error().code, ServiceErrorCode::not_found);
}

TEST_F(AccountServiceTest, ListReturnsAPageAndTheTotalAndRejectsBadLimits) {
    const auto tag = unique_name("page");
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i)
        ids.push_back(m_accounts.create(tag + std::to_string(i) + "@example.org", password())->id);
    AccountListQuery q;
    q.search = tag;
    q.limit = 2;
    const auto first = m_accounts.list(q);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->total, 3U);
    ASSERT_EQ(first->accounts.size(), 2U);
    EXPECT_EQ(first->accounts[0].id, ids[0]);
    q.offset = 2;
    EXPECT_EQ(m_accounts.list(q)->accounts.at(0).id, ids[2]);
    q.limit = 0;
    EXPECT_EQ(m_accounts.list(q).error().code, ServiceErrorCode::invalid_argument);
    q.limit = AccountService::k_account_page_max + 1;
    EXPECT_EQ(m_accounts.list(q).error().code, ServiceErrorCode::invalid_argument);
}

}  // namespace
}  // namespace edgesync::test
