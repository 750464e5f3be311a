// Registration, login, refresh, logout and session routes of edgesync-server:
// the built binary against a private migrated database and the test Redis.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "shared/auth/jwt.hpp"
#include "shared/util/bytes.hpp"
#include "shared/util/time.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

constexpr std::string_view k_password = "correct horse battery staple 42";

struct Login {
    std::string access;
    std::string refresh;
    std::string session_id;
    std::string account_id;
    std::string device_id;
};

class ServerAuth : public ::testing::Test {
  protected:
    void SetUp() override {
        ServerOptions o;
        o.env = server_env(m_db.url());
        // Small per email + IP; large per IP: every test logs in from 127.0.0.1
        // against the same Redis, and the per-IP window outlives a run.
        o.env["LOGIN_RATE_LIMIT"] = "3";
        o.env["LOGIN_RATE_LIMIT_PER_IP"] = "1000000";
        o.cwd = m_cwd.path();
        m_server.emplace(std::move(o));
    }

    HttpResponse call(std::string_view method, std::string_view target, const json& body,
                      std::optional<std::string> token = std::nullopt) {
        HttpHeaders h{{"Content-Type", "application/json"}};
        if (token) h.emplace_back("Authorization", "Bearer " + *token);
        return http_request(m_server->host(), m_server->port(), method, target, h,
                            body.is_null() ? std::string() : body.dump());
    }
    HttpResponse authed(std::string_view method, std::string_view target,
                        const std::string& token) {
        return http_request(m_server->host(), m_server->port(), method, target,
                            {{"Authorization", "Bearer " + token}});
    }

    std::string register_account(const std::string& prefix) {
        const auto email = unique_name(prefix) + "@example.com";
        const auto r =
            call("POST", "/v1/auth/register", {{"email", email}, {"password", k_password}});
        EXPECT_EQ(r.status, 201) << r.describe();
        return email;
    }
    Login login(const std::string& email) {
        const auto r = call("POST", "/v1/auth/login", {{"email", email}, {"password", k_password}});
        EXPECT_EQ(r.status, 200) << r.describe();
        const auto b = json::parse(r.body);
        return {b["access_token"], b["refresh_token"], b["session_id"], b["account_id"],
                b["device_id"]};
    }

    TestDatabase m_db = TestDatabase::migrated();
    TempDir m_cwd;
    std::optional<ServerProcess> m_server;
};

void expect_error(const HttpResponse& r, int status, std::string_view code) {
    EXPECT_EQ(r.status, status) << r.describe();
    const auto body = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.describe();
    EXPECT_EQ(body["error"]["code"], code) << r.describe();
}

void expect_invalid_token(const HttpResponse& r) {
    expect_error(r, 401, "invalid_token");
    EXPECT_EQ(r.header("WWW-Authenticate").value_or(""), "Bearer") << r.describe();
}

std::string b64url(std::string_view text) {
    return base64url_encode(Bytes(text.begin(), text.end()));
}

TEST_F(ServerAuth, RegisterLoginRefreshLogoutHappyPath) {
    const auto email = unique_name("happy") + "@example.com";
    const auto reg =
        call("POST", "/v1/auth/register", {{"email", email}, {"password", k_password}});
    ASSERT_EQ(reg.status, 201) << reg.describe();
    const auto account = json::parse(reg.body);
    EXPECT_EQ(account["email"], email);

    const auto s = login(email);
    EXPECT_EQ(s.account_id, account["account_id"]);
    EXPECT_FALSE(s.device_id.empty());

    const auto list = authed("GET", "/v1/sessions", s.access);
    ASSERT_EQ(list.status, 200) << list.describe();
    const auto sessions = json::parse(list.body)["sessions"];
    ASSERT_EQ(sessions.size(), 1U);
    EXPECT_EQ(sessions[0]["id"], s.session_id);
    EXPECT_EQ(sessions[0]["current"], true);
    EXPECT_FALSE(sessions[0].contains("refresh_hash"));
    EXPECT_EQ(list.body.find(s.refresh), std::string::npos);

    const auto refreshed = call("POST", "/v1/auth/refresh", {{"refresh_token", s.refresh}});
    ASSERT_EQ(refreshed.status, 200) << refreshed.describe();
    const auto next = json::parse(refreshed.body);
    EXPECT_EQ(next["session_id"], s.session_id);
    EXPECT_NE(next["refresh_token"], s.refresh);

    const auto out = authed("POST", "/v1/auth/logout", next["access_token"]);
    EXPECT_EQ(out.status, 204) << out.describe();
    expect_invalid_token(authed("GET", "/v1/sessions", next["access_token"]));
    expect_invalid_token(authed("GET", "/v1/sessions", s.access));

    // The log names the account, never a password or a token.
    const auto log = m_server->err();
    EXPECT_NE(log.find(s.account_id), std::string::npos);
    for (const std::string& secret :
         {std::string(k_password), s.access, s.refresh, next["access_token"].get<std::string>(),
          next["refresh_token"].get<std::string>()})
        EXPECT_EQ(log.find(secret), std::string::npos);
}

TEST_F(ServerAuth, DuplicateEmailInAnotherCaseIs409) {
    const auto email = register_account("dup");
    std::string upper = email;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    expect_error(call("POST", "/v1/auth/register", {{"email", upper}, {"password", k_password}}),
                 409, "email_taken");
}

TEST_F(ServerAuth, WeakPasswordIs400) {
    expect_error(call("POST", "/v1/auth/register",
                      {{"email", unique_name("weak") + "@example.com"}, {"password", "short"}}),
                 400, "weak_password");
}

TEST_F(ServerAuth, WrongPasswordIs401) {
    const auto email = register_account("wrong");
    expect_error(
        call("POST", "/v1/auth/login", {{"email", email}, {"password", "not it at all 1"}}), 401,
        "invalid_credentials");
}

TEST_F(ServerAuth, TooManyLoginAttemptsAre429WithRetryAfter) {
    const auto email = register_account("limit");
    const json wrong{{"email", email}, {"password", "not it at all 1"}};
    for (int i = 0; i < 3; ++i)
        expect_error(call("POST", "/v1/auth/login", wrong), 401, "invalid_credentials");
    const auto r = call("POST", "/v1/auth/login", {{"email", email}, {"password", k_password}});
    expect_error(r, 429, "rate_limited");
    const auto retry = r.header("Retry-After");
    ASSERT_TRUE(retry.has_value()) << r.describe();
    EXPECT_GE(std::stoll(*retry), 1);
}

TEST_F(ServerAuth, ForgedAndExpiredTokensAre401) {
    const auto s = login(register_account("forged"));
    const auto payload = s.access.substr(s.access.find('.') + 1);
    const auto claims_b64 = payload.substr(0, payload.find('.'));
    const auto signature = payload.substr(payload.find('.') + 1);

    // alg=none, no signature.
    expect_invalid_token(authed("GET", "/v1/sessions",
                                b64url(R"({"alg":"none","typ":"JWT"})") + "." + claims_b64 + "."));
    // HS512 header on our claims and signature.
    expect_invalid_token(
        authed("GET", "/v1/sessions",
               b64url(R"({"alg":"HS512","typ":"JWT"})") + "." + claims_b64 + "." + signature));

    auth::AccessClaims claims{.iss = "edgesync",
                              .sub = s.account_id,
                              .did = s.device_id,
                              .sid = s.session_id,
                              .iat = to_unix(now()) - 60,
                              .exp = to_unix(now()) + 600};
    // Signed with another key.
    const auth::JwtKey other("another-secret-of-enough-length-0123456789");
    expect_invalid_token(authed("GET", "/v1/sessions", auth::issue_access_token(other, claims)));
    // Our key, but expired.
    const auth::JwtKey ours(server_env("")["JWT_SECRET"]);
    claims.iat = to_unix(now()) - 3600;
    claims.exp = to_unix(now()) - 1800;
    expect_invalid_token(authed("GET", "/v1/sessions", auth::issue_access_token(ours, claims)));
    // No header, or not Bearer.
    expect_invalid_token(http_request(m_server->host(), m_server->port(), "GET", "/v1/sessions"));
    expect_invalid_token(http_request(m_server->host(), m_server->port(), "GET", "/v1/sessions",
                                      {{"Authorization", "Basic " + s.access}}));
    // The real token still works.
    EXPECT_EQ(authed("GET", "/v1/sessions", s.access).status, 200);
}

TEST_F(ServerAuth, RevokedSessionTokenIs401) {
    const auto email = register_account("revoke");
    const auto a = login(email);
    const auto b = login(email);
    const auto r = authed("DELETE", "/v1/sessions/" + b.session_id, a.access);
    EXPECT_EQ(r.status, 204) << r.describe();
    expect_invalid_token(authed("GET", "/v1/sessions", b.access));
    EXPECT_EQ(authed("GET", "/v1/sessions", a.access).status, 200);
}

TEST_F(ServerAuth, DeleteAllSessionsKeepsTheCurrentOne) {
    const auto email = register_account("all");
    const auto a = login(email);
    const auto b = login(email);
    const auto c = login(email);
    const auto r = authed("DELETE", "/v1/sessions", a.access);
    ASSERT_EQ(r.status, 200) << r.describe();
    EXPECT_EQ(json::parse(r.body)["revoked"], 2);
    expect_invalid_token(authed("GET", "/v1/sessions", b.access));
    expect_invalid_token(authed("GET", "/v1/sessions", c.access));
    EXPECT_EQ(authed("GET", "/v1/sessions", a.access).status, 200);
}

TEST_F(ServerAuth, RefreshTokenReuseIsRejectedAndEndsTheSession) {
    const auto s = login(register_account("reuse"));
    const auto first = call("POST", "/v1/auth/refresh", {{"refresh_token", s.refresh}});
    ASSERT_EQ(first.status, 200) << first.describe();
    expect_invalid_token(call("POST", "/v1/auth/refresh", {{"refresh_token", s.refresh}}));
    const auto next = json::parse(first.body);
    expect_invalid_token(authed("GET", "/v1/sessions", next["access_token"]));
    expect_invalid_token(
        call("POST", "/v1/auth/refresh", {{"refresh_token", next["refresh_token"]}}));
}

TEST_F(ServerAuth, AnotherAccountsSessionIdIs404) {
    const auto first = login(register_account("first"));
    const auto second = login(register_account("second"));
    expect_error(authed("DELETE", "/v1/sessions/" + first.session_id, second.access), 404,
                 "not_found");
    EXPECT_EQ(authed("GET", "/v1/sessions", first.access).status, 200);
}

TEST_F(ServerAuth, LoginEnrolsANewDeviceThenReusesItById) {
    const auto email = register_account("device");
    const json device{{"name", "laptop"},
                      {"device_type", "desktop"},
                      {"public_key", base64_encode(Bytes(32, 7))}};
    const auto first = call("POST", "/v1/auth/login",
                            {{"email", email}, {"password", k_password}, {"device", device}});
    ASSERT_EQ(first.status, 200) << first.describe();
    const std::string device_id = json::parse(first.body)["device_id"];
    const auto again = call("POST", "/v1/auth/login",
                            {{"email", email}, {"password", k_password}, {"device_id", device_id}});
    ASSERT_EQ(again.status, 200) << again.describe();
    EXPECT_EQ(json::parse(again.body)["device_id"], device_id);

    json bad_key = device;
    bad_key["public_key"] = "%%%";
    expect_error(call("POST", "/v1/auth/login",
                      {{"email", email}, {"password", k_password}, {"device", bad_key}}),
                 400, "invalid_request");
}

TEST_F(ServerAuth, MalformedRequestsAre4xx) {
    const auto target = "/v1/auth/login";
    expect_error(http_request(m_server->host(), m_server->port(), "POST", target,
                              {{"Content-Type", "application/json"}}, "{not json"),
                 400, "malformed_json");
    expect_error(http_request(m_server->host(), m_server->port(), "POST", target,
                              {{"Content-Type", "text/plain"}}, R"({"email":"a@b.c"})"),
                 415, "unsupported_media_type");
    expect_error(call("POST", target, {{"email", "a@example.com"}}), 400, "invalid_request");
    expect_error(call("POST", "/v1/auth/register", {{"password", k_password}}), 400,
                 "invalid_request");
    expect_error(call("POST", "/v1/auth/refresh", json::object()), 400, "invalid_request");
}

}  // namespace
}  // namespace edgesync::test
