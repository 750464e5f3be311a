// AuthService after login: refresh rotation and reuse detection, the
// per-request live-session check, logout.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/integration/auth_fixture.hpp"

namespace edgesync::test {
namespace {

class AuthSessions : public AuthFixture {
  protected:
    ServiceErrorCode auth_error(const std::string& access_token) {
        const auto p = m_auth.authenticate(access_token);
        EXPECT_FALSE(p.has_value());
        return p ? ServiceErrorCode::conflict : p.error().code;
    }
    ServiceErrorCode refresh_error(const std::string& refresh_token) {
        const auto t = m_auth.refresh(refresh_token, {m_ip, "test"});
        EXPECT_FALSE(t.has_value());
        return t ? ServiceErrorCode::conflict : t.error().code;
    }
};

TEST_F(AuthSessions, RefreshSlidesTheSessionsEndForward) {
    auto options = test_options();
    options.session_ttl = std::chrono::hours(1);
    auto auth = make_auth(options);
    const auto a = make_account();
    const auto t1 = auth.login(request(a.email));
    ASSERT_TRUE(t1.has_value());
    const auto t2 = auth.refresh(t1->refresh_token, {m_ip, "test"});
    ASSERT_TRUE(t2.has_value()) << t2.error().message;
    EXPECT_GT(t2->refresh_expires_at, t1->refresh_expires_at);
    const auto s = m_session_repo.get(a.id, t1->session_id);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(format_rfc3339(s->expires_at), format_rfc3339(t2->refresh_expires_at));
}

TEST_F(AuthSessions, RefreshNeverExtendsPastTheMaximumLifetime) {
    auto options = test_options();
    options.session_ttl = std::chrono::hours(1);
    options.session_max_lifetime = std::chrono::seconds(2);
    auto auth = make_auth(options);
    const auto a = make_account();
    const auto t1 = auth.login(request(a.email));
    ASSERT_TRUE(t1.has_value());
    const auto s = m_session_repo.get(a.id, t1->session_id);
    ASSERT_TRUE(s.has_value());
    const auto t2 = auth.refresh(t1->refresh_token, {m_ip, "test"});
    ASSERT_TRUE(t2.has_value()) << t2.error().message;
    EXPECT_LE(t2->refresh_expires_at, s->created_at + std::chrono::seconds(2));
    EXPECT_LE(t2->access_expires_at, t2->refresh_expires_at + std::chrono::seconds(1));

    // Once the maximum lifetime has passed, refresh is refused and the session is gone.
    std::this_thread::sleep_until(s->created_at + std::chrono::milliseconds(2100));
    const auto t3 = auth.refresh(t2->refresh_token, {m_ip, "test"});
    ASSERT_FALSE(t3.has_value());
    EXPECT_EQ(t3.error().code, ServiceErrorCode::invalid_token);
    EXPECT_FALSE(m_session_repo.get(a.id, t1->session_id).has_value());
}

TEST_F(AuthSessions, RefreshRotatesTheTokenAndKeepsTheSession) {
    const auto [a, t1] = logged_in_account();
    const auto t2 = m_auth.refresh(t1.refresh_token, {m_ip, "test"});
    ASSERT_TRUE(t2.has_value()) << t2.error().message;
    EXPECT_NE(t2->refresh_token, t1.refresh_token);
    EXPECT_EQ(t2->session_id, t1.session_id);
    EXPECT_EQ(t2->device_id, t1.device_id);
    EXPECT_EQ(t2->account_id, a.id);
    EXPECT_GE(t2->refresh_expires_at, t1.refresh_expires_at);  // sliding: never shortened

    const auto s = m_session_repo.get(a.id, t1.session_id);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->refresh_hash, auth::refresh_token_hash(t2->refresh_token));
    EXPECT_GE(s->last_used_at, s->created_at);
    EXPECT_EQ(*m_auth.authenticate(t2->access_token), principal_of(t1));

    // The new token works once in its turn.
    const auto t3 = m_auth.refresh(t2->refresh_token, {m_ip, "test"});
    ASSERT_TRUE(t3.has_value()) << t3.error().message;
    EXPECT_TRUE(m_auth.authenticate(t3->access_token).has_value());
}

TEST_F(AuthSessions, ReusingARotatedRefreshTokenEndsTheSession) {
    const auto [a, t1] = logged_in_account();
    const auto t2 = m_auth.refresh(t1.refresh_token, {m_ip, "test"});
    ASSERT_TRUE(t2.has_value());
    (void)m_revocations.drain(a.id);

    EXPECT_EQ(refresh_error(t1.refresh_token), ServiceErrorCode::invalid_token);
    EXPECT_FALSE(m_session_repo.get(a.id, t1.session_id).has_value());
    EXPECT_EQ(m_revocations.drain(a.id),
              std::vector{RevocationNotice::for_session(a.id, t1.session_id)});
    // The successor dies with it: one of the two holders is a thief.
    EXPECT_EQ(refresh_error(t2->refresh_token), ServiceErrorCode::invalid_token);
    EXPECT_EQ(auth_error(t2->access_token), ServiceErrorCode::invalid_token);
}

TEST_F(AuthSessions, AForgedRefreshTokenForAKnownSessionDoesNotEndIt) {
    const auto [a, t] = logged_in_account();
    const auth::JwtKey other("some-other-secret-that-is-long-enough!!");
    EXPECT_EQ(refresh_error(auth::make_refresh_token(other, a.id, t.session_id)),
              ServiceErrorCode::invalid_token);
    EXPECT_EQ(refresh_error("v1." + a.id + "." + t.session_id + ".garbage"),
              ServiceErrorCode::invalid_token);
    EXPECT_EQ(refresh_error(""), ServiceErrorCode::invalid_token);
    EXPECT_TRUE(m_session_repo.get(a.id, t.session_id).has_value());
    EXPECT_TRUE(m_auth.refresh(t.refresh_token, {m_ip, "test"}).has_value());
}

TEST_F(AuthSessions, RefreshOfAnEndedSessionIsRefused) {
    const auto [a, t] = logged_in_account();
    ASSERT_TRUE(m_auth.logout(principal_of(t)));
    EXPECT_EQ(refresh_error(t.refresh_token), ServiceErrorCode::invalid_token);
}

TEST_F(AuthSessions, RefreshForARevokedDeviceEndsTheSession) {
    const auto [a, t] = logged_in_account();
    // Straight in Postgres, leaving the session: as if a revoke were cut short.
    ASSERT_TRUE(m_device_repo.revoke(a.id, t.device_id).has_value());
    EXPECT_EQ(refresh_error(t.refresh_token), ServiceErrorCode::revoked);
    EXPECT_FALSE(m_session_repo.get(a.id, t.session_id).has_value());
}

TEST_F(AuthSessions, RefreshForADisabledAccountEndsTheSession) {
    const auto [a, t] = logged_in_account();
    ASSERT_TRUE(m_account_repo.set_disabled(a.id, true));  // Postgres only, as above
    EXPECT_EQ(refresh_error(t.refresh_token), ServiceErrorCode::account_disabled);
    EXPECT_FALSE(m_session_repo.get(a.id, t.session_id).has_value());
}

TEST_F(AuthSessions, AuthenticateFailsAfterLogoutAndLogoutIsIdempotent) {
    const auto [a, t] = logged_in_account();
    (void)m_revocations.drain(a.id);
    EXPECT_TRUE(m_auth.logout(principal_of(t)));
    EXPECT_EQ(auth_error(t.access_token), ServiceErrorCode::invalid_token);
    EXPECT_EQ(m_revocations.drain(a.id),
              std::vector{RevocationNotice::for_session(a.id, t.session_id)});
    EXPECT_FALSE(m_auth.logout(principal_of(t)));
}

TEST_F(AuthSessions, LogoutEndsOnlyItsOwnSession) {
    const auto a = make_account();
    const auto t1 = login(request(a.email));
    const auto t2 = login(request(a.email));
    EXPECT_TRUE(m_auth.logout(principal_of(t1)));
    EXPECT_EQ(auth_error(t1.access_token), ServiceErrorCode::invalid_token);
    EXPECT_TRUE(m_auth.authenticate(t2.access_token).has_value());
}

TEST_F(AuthSessions, AuthenticateFailsAfterSessionPurge) {
    const auto [a, t] = logged_in_account();
    EXPECT_EQ(m_sessions.purge_account(a.id), 1U);
    EXPECT_EQ(auth_error(t.access_token), ServiceErrorCode::invalid_token);
}

TEST_F(AuthSessions, AuthenticateFailsAfterDeviceRevoke) {
    const auto [a, t] = logged_in_account();
    ASSERT_TRUE(m_devices.revoke(a.id, t.device_id).has_value());
    EXPECT_EQ(auth_error(t.access_token), ServiceErrorCode::invalid_token);
    EXPECT_EQ(refresh_error(t.refresh_token), ServiceErrorCode::invalid_token);
}

TEST_F(AuthSessions, AuthenticateFailsAfterAccountDisable) {
    const auto [a, t] = logged_in_account();
    ASSERT_TRUE(m_accounts.disable(a.id).has_value());
    EXPECT_EQ(auth_error(t.access_token), ServiceErrorCode::invalid_token);
}

TEST_F(AuthSessions, AnAccessTokenCannotNameAnotherAccountsSession) {
    const auto [a, ta] = logged_in_account();
    const auto [b, tb] = logged_in_account();
    // Validly signed, but sub says A: the lookup is es:{A}:session:{B's sid}.
    EXPECT_EQ(auth_error(forge_access(a.id, tb.device_id, tb.session_id)),
              ServiceErrorCode::invalid_token);
    EXPECT_EQ(auth_error(forge_access(a.id, ta.device_id, tb.session_id)),
              ServiceErrorCode::invalid_token);
    // The same forge with consistent ids is accepted: the test above failed
    // for the account mismatch alone.
    EXPECT_TRUE(m_auth.authenticate(forge_access(b.id, tb.device_id, tb.session_id)).has_value());
}

TEST_F(AuthSessions, AuthenticateRequiresTheSessionsOwnDevice) {
    const auto [a, t] = logged_in_account();
    const auto other = make_device(a.id, "other");
    EXPECT_EQ(auth_error(forge_access(a.id, other.id, t.session_id)),
              ServiceErrorCode::invalid_token);
}

TEST_F(AuthSessions, AuthenticateRefusesExpiredForeignAndGarbageTokens) {
    const auto [a, t] = logged_in_account();
    const auto expired = m_auth.authenticate(t.access_token, t.access_expires_at);
    ASSERT_FALSE(expired.has_value());
    EXPECT_EQ(expired.error().code, ServiceErrorCode::invalid_token);
    EXPECT_NE(expired.error().message.find("expired"), std::string::npos);

    const auto iat = to_unix(now());
    const auto foreign = auth::issue_access_token(
        auth::JwtKey("some-other-secret-that-is-long-enough!!"),
        {"edgesync-test", a.id, t.device_id, t.session_id, iat, iat + 600});
    EXPECT_EQ(auth_error(foreign), ServiceErrorCode::invalid_token);
    const auto other_issuer = auth::issue_access_token(
        auth::JwtKey(k_auth_test_secret),
        {"edgesync-prod", a.id, t.device_id, t.session_id, iat, iat + 600});
    EXPECT_EQ(auth_error(other_issuer), ServiceErrorCode::invalid_token);
    EXPECT_EQ(auth_error(""), ServiceErrorCode::invalid_token);
    EXPECT_EQ(auth_error(t.refresh_token), ServiceErrorCode::invalid_token);
    EXPECT_EQ(to_http_status(ServiceErrorCode::invalid_token), 401);
}

}  // namespace
}  // namespace edgesync::test
