// AuthService: registration, login (device modes, credential failures,
// rate limits). Refresh, authenticate and logout: test_auth_sessions.cpp.

#include <gtest/gtest.h>

#include "shared/crypto/password.hpp"
#include "tests/integration/auth_fixture.hpp"

namespace edgesync::test {
namespace {

class AuthLogin : public AuthFixture {};

TEST_F(AuthLogin, RegisterCreatesAnAccountAndRefusesItsEmailInAnyCase) {
    const auto email = random_email();
    const auto a = m_auth.register_account(email, password());
    ASSERT_TRUE(a.has_value()) << a.error().message;
    EXPECT_EQ(a->email, email);
    EXPECT_TRUE(crypto::verify_password(a->password_hash, password()));

    std::string upper = email;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(m_auth.register_account(upper, password()).error().code,
              ServiceErrorCode::email_taken);
    EXPECT_EQ(m_auth.register_account("no-at-sign", password()).error().code,
              ServiceErrorCode::invalid_email);
    EXPECT_EQ(m_auth.register_account(random_email(), "short").error().code,
              ServiceErrorCode::weak_password);
}

TEST_F(AuthLogin, WithoutADeviceCreatesABrowserDeviceAndASession) {
    const auto a = make_account();
    const auto t = login(request(a.email));
    EXPECT_EQ(t.account_id, a.id);

    const auto d = m_device_repo.find(a.id, t.device_id);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->name, "browser");
    EXPECT_EQ(d->device_type, DeviceType::browser);
    EXPECT_TRUE(d->public_key.empty());

    const auto s = m_session_repo.get(a.id, t.session_id);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->device_id, t.device_id);
    EXPECT_EQ(s->refresh_hash, auth::refresh_token_hash(t.refresh_token));
    EXPECT_EQ(s->ip, m_ip);
    EXPECT_EQ(s->user_agent, "edgesync-auth-test/1.0");
    EXPECT_EQ(s->expires_at, t.refresh_expires_at);
    EXPECT_LE(t.access_expires_at, t.refresh_expires_at);

    const auto p = m_auth.authenticate(t.access_token);
    ASSERT_TRUE(p.has_value()) << p.error().message;
    EXPECT_EQ(*p, principal_of(t));
}

TEST_F(AuthLogin, WithANewDeviceRegistersIt) {
    const auto a = make_account();
    auto r = request(a.email);
    r.new_device = NewDeviceSpec{"kitchen pi", DeviceType::agent, Bytes(32, 0x07)};
    const auto t = login(r);
    const auto d = m_device_repo.find(a.id, t.device_id);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->name, "kitchen pi");
    EXPECT_EQ(d->device_type, DeviceType::agent);
    EXPECT_EQ(d->public_key, Bytes(32, 0x07));
    EXPECT_TRUE(m_auth.authenticate(t.access_token).has_value());
}

TEST_F(AuthLogin, WithAnExistingDeviceUsesIt) {
    const auto a = make_account();
    const auto d = make_device(a.id, "laptop");
    auto r = request(a.email);
    r.device_id = d.id;
    const auto t = login(r);
    EXPECT_EQ(t.device_id, d.id);
    EXPECT_EQ(m_device_repo.list(a.id).size(), 1U);
    EXPECT_EQ(m_session_repo.get(a.id, t.session_id)->device_id, d.id);
}

TEST_F(AuthLogin, AnUnknownForeignOrMalformedDeviceIsRefused) {
    const auto a = make_account();
    const auto b = make_account();
    const auto theirs = make_device(b.id);
    for (const auto& id : {new_uuid(), theirs.id}) {
        auto r = request(a.email);
        r.device_id = id;
        EXPECT_EQ(m_auth.login(r).error().code, ServiceErrorCode::not_found) << id;
    }
    auto r = request(a.email);
    r.device_id = "laptop";
    EXPECT_EQ(m_auth.login(r).error().code, ServiceErrorCode::invalid_argument);
    r.device_id = make_device(a.id).id;
    r.new_device = NewDeviceSpec{"both", DeviceType::agent, Bytes(32, 1)};
    EXPECT_EQ(m_auth.login(r).error().code, ServiceErrorCode::invalid_argument);
    EXPECT_TRUE(m_session_repo.list(a.id).empty());
}

TEST_F(AuthLogin, AnInvalidNewDeviceIsRefusedWithoutASession) {
    const auto a = make_account();
    for (const auto& spec : {NewDeviceSpec{"pi", DeviceType::agent, Bytes(31, 1)},
                             NewDeviceSpec{"pi", DeviceType::agent, Bytes{}},
                             NewDeviceSpec{"", DeviceType::agent, Bytes(32, 1)},
                             NewDeviceSpec{"bad\nname", DeviceType::agent, Bytes(32, 1)}}) {
        auto r = request(a.email);
        r.new_device = spec;
        EXPECT_EQ(m_auth.login(r).error().code, ServiceErrorCode::invalid_argument) << spec.name;
    }
    EXPECT_TRUE(m_device_repo.list(a.id).empty());
    EXPECT_TRUE(m_session_repo.list(a.id).empty());
}

TEST_F(AuthLogin, EmailMatchesInAnyLetterCase) {
    const auto a = make_account();
    std::string upper = a.email;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(login(request("  " + upper + " ")).account_id, a.id);
}

TEST_F(AuthLogin, WrongPasswordAndUnknownEmailGetTheSameAnswer) {
    const auto a = make_account();
    const auto wrong = m_auth.login(request(a.email, "not the right password"));
    const auto unknown = m_auth.login(request(random_email()));
    ASSERT_FALSE(wrong.has_value());
    ASSERT_FALSE(unknown.has_value());
    EXPECT_EQ(wrong.error().code, ServiceErrorCode::invalid_credentials);
    EXPECT_EQ(unknown.error().code, ServiceErrorCode::invalid_credentials);
    EXPECT_EQ(wrong.error().message, unknown.error().message);
    EXPECT_EQ(to_http_status(wrong.error().code), 401);
    EXPECT_TRUE(m_session_repo.list(a.id).empty());
    EXPECT_TRUE(m_device_repo.list(a.id).empty());
}

TEST_F(AuthLogin, MalformedEmailIsInvalidEmail) {
    EXPECT_EQ(m_auth.login(request("no-at-sign")).error().code, ServiceErrorCode::invalid_email);
}

TEST_F(AuthLogin, DisabledAccountIsNamedOnlyAfterTheRightPassword) {
    const auto a = make_account();
    ASSERT_TRUE(m_accounts.disable(a.id).has_value());
    EXPECT_EQ(m_auth.login(request(a.email, "not the right password")).error().code,
              ServiceErrorCode::invalid_credentials);
    EXPECT_EQ(m_auth.login(request(a.email)).error().code, ServiceErrorCode::account_disabled);
    EXPECT_TRUE(m_session_repo.list(a.id).empty());
}

TEST_F(AuthLogin, DeletedAccountLooksUnknown) {
    const auto a = make_account();
    ASSERT_TRUE(m_accounts.remove(a.id).has_value());
    EXPECT_EQ(m_auth.login(request(a.email)).error().code, ServiceErrorCode::invalid_credentials);
}

TEST_F(AuthLogin, RevokedDeviceCannotLogIn) {
    const auto a = make_account();
    const auto d = make_device(a.id);
    ASSERT_TRUE(m_devices.revoke(a.id, d.id).has_value());
    auto r = request(a.email);
    r.device_id = d.id;
    EXPECT_EQ(m_auth.login(r).error().code, ServiceErrorCode::revoked);
    EXPECT_TRUE(m_session_repo.list(a.id).empty());
}

TEST_F(AuthLogin, RateLimitPerEmailAndAddressRefusesEvenTheRightPassword) {
    const auto a = make_account();
    const auto limit = test_options().login_per_email_ip.max_attempts;
    for (std::int64_t i = 0; i < limit; ++i)
        EXPECT_EQ(m_auth.login(request(a.email, "not the right password")).error().code,
                  ServiceErrorCode::invalid_credentials);
    const auto refused = m_auth.login(request(a.email));
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, ServiceErrorCode::rate_limited);
    EXPECT_GT(refused.error().retry_after.count(), 0);
    EXPECT_LE(refused.error().retry_after, test_options().login_per_email_ip.window);
    EXPECT_EQ(to_http_status(refused.error().code), 429);
    EXPECT_TRUE(m_session_repo.list(a.id).empty());

    // Another client address is not affected.
    auto elsewhere = request(a.email);
    elsewhere.client.ip = unique_name("other-ip");
    EXPECT_TRUE(m_auth.login(elsewhere).has_value());
}

TEST_F(AuthLogin, RateLimitPerEmailCountsEverySpellingThatReachesTheAccount) {
    // Postgres matches the email case-insensitively beyond ASCII ("Ä" = "ä"):
    // cycling such spellings must not buy fresh attempts.
    const std::string email = "\xc3\xa4" + random_email();  // "ä..."
    ASSERT_TRUE(m_accounts.create(email, password()).has_value());
    const std::string upper = "\xc3\x84" + email.substr(2);  // "Ä..."
    ASSERT_TRUE(m_auth.login(request(upper)).has_value())
        << "the account is found under either spelling";
    const auto limit = test_options().login_per_email_ip.max_attempts;
    for (std::int64_t i = 0; i < limit; ++i)
        EXPECT_EQ(m_auth.login(request(i % 2 == 0 ? email : upper, "not the right password"))
                      .error()
                      .code,
                  ServiceErrorCode::invalid_credentials);
    EXPECT_EQ(m_auth.login(request(upper)).error().code, ServiceErrorCode::rate_limited);
    EXPECT_EQ(m_auth.login(request(email)).error().code, ServiceErrorCode::rate_limited);
}

TEST_F(AuthLogin, RateLimitPerAddressCoversEveryEmail) {
    auto options = test_options();
    options.login_per_ip = {3, std::chrono::seconds(60)};
    auto auth = make_auth(options);
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(auth.login(request(random_email())).error().code,
                  ServiceErrorCode::invalid_credentials);
    const auto a = make_account();
    const auto refused = auth.login(request(a.email));
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, ServiceErrorCode::rate_limited);
    EXPECT_GT(refused.error().retry_after.count(), 0);
}

TEST_F(AuthLogin, SuccessfulLoginClearsTheEmailCounter) {
    const auto a = make_account();
    const auto limit = test_options().login_per_email_ip.max_attempts;
    for (std::int64_t i = 0; i < limit - 1; ++i)
        (void)m_auth.login(request(a.email, "not the right password"));
    ASSERT_TRUE(m_auth.login(request(a.email)).has_value());
    // Without the reset the next attempt would be the limit + 1st.
    for (std::int64_t i = 0; i < limit - 1; ++i)
        EXPECT_EQ(m_auth.login(request(a.email, "not the right password")).error().code,
                  ServiceErrorCode::invalid_credentials);
}

TEST_F(AuthLogin, PasswordHashedWithOtherLimitsIsRehashedOnLogin) {
    const auto a = make_account();  // hashed with crypto::minimum_limits()
    auto options = test_options();
    options.password_limits.opslimit += 1;
    auto auth = make_auth(options);
    ASSERT_TRUE(crypto::password_needs_rehash(a.password_hash, options.password_limits));
    ASSERT_TRUE(auth.login(request(a.email)).has_value());
    const auto stored = m_account_repo.find_by_id(a.id)->password_hash;
    EXPECT_NE(stored, a.password_hash);
    EXPECT_FALSE(crypto::password_needs_rehash(stored, options.password_limits));
    EXPECT_TRUE(crypto::verify_password(stored, password()));
}

TEST_F(AuthLogin, AccessTokenNeverOutlivesTheSession) {
    auto options = test_options();
    options.session_ttl = std::chrono::seconds(60);  // shorter than the 15 min access TTL
    auto auth = make_auth(options);
    const auto a = make_account();
    const auto t = auth.login(request(a.email));
    ASSERT_TRUE(t.has_value());
    EXPECT_LE(t->access_expires_at, t->refresh_expires_at);
}

}  // namespace
}  // namespace edgesync::test
