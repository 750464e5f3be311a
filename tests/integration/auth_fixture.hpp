#pragma once

// AuthService over the REAL Postgres and Redis (repositories, rate limiter,
// publisher), for tests/integration/test_auth_*.cpp.

#include <gtest/gtest.h>

#include <string>

#include "shared/auth/jwt.hpp"
#include "shared/auth/refresh_token.hpp"
#include "shared/services/auth_service.hpp"
#include "shared/services/redis_rate_limiter.hpp"
#include "tests/integration/services_fixture.hpp"

namespace edgesync::test {

inline constexpr std::string_view k_auth_test_secret = "integration-test-jwt-secret-0123456789";

class AuthFixture : public ServicesFixture {
  protected:
    // Small limits so a test reaches them in a few attempts; minimum Argon2id cost.
    static AuthOptions test_options() {
        AuthOptions o;
        o.issuer = "edgesync-test";
        o.login_per_email_ip = {5, std::chrono::seconds(60)};
        o.login_per_ip = {50, std::chrono::seconds(60)};
        o.password_limits = crypto::minimum_limits();
        return o;
    }

    AuthService make_auth(const AuthOptions& options) {
        return AuthService(m_account_repo, m_device_repo, m_session_repo, m_limiter, m_publisher,
                           auth::JwtKey(k_auth_test_secret), options);
    }

    // A request from this test's own client address: rate-limit counters of
    // tests running in parallel never meet.
    LoginRequest request(const std::string& email, const std::string& pw = password()) {
        LoginRequest r;
        r.email = email;
        r.password = pw;
        r.client = {m_ip, "edgesync-auth-test/1.0"};
        return r;
    }

    AuthTokens login(const LoginRequest& r) {
        auto t = m_auth.login(r);
        EXPECT_TRUE(t.has_value()) << t.error().message;
        return t ? *t : AuthTokens{};
    }

    // A fresh account and one login of it without naming a device.
    std::pair<Account, AuthTokens> logged_in_account() {
        auto a = make_account();
        return {a, login(request(a.email))};
    }

    Principal principal_of(const AuthTokens& t) {
        return {t.account_id, t.device_id, t.session_id};
    }

    // An access token minted with the service's key for arbitrary ids.
    std::string forge_access(const std::string& sub, const std::string& did,
                             const std::string& sid) {
        const auto iat = to_unix(now());
        return auth::issue_access_token(auth::JwtKey(k_auth_test_secret),
                                        {"edgesync-test", sub, did, sid, iat, iat + 600});
    }

    RedisRateLimiter m_limiter{m_redis_pool};
    AuthService m_auth = make_auth(test_options());
    std::string m_ip = unique_name("client-ip");
};

}  // namespace edgesync::test
