#pragma once

// A running edgesync-server for API tests: the built binary on loopback
// against a private migrated database and the test Redis, with helpers to
// register, log in and call routes. Suites derive from ServerApiFixture (one
// server per test) or hold a ServerApi in a static (one per suite).

#include <gtest/gtest.h>

#include <csignal>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"

namespace edgesync::test {

inline constexpr std::string_view k_api_password = "correct horse battery staple 42";

struct ApiLogin {
    std::string email;
    std::string access;
    std::string refresh;
    std::string session_id;
    std::string account_id;
    std::string device_id;
};

class ServerApi {
  public:
    // Extra settings go over server_env(); login limits are lifted so tests
    // logging in from 127.0.0.1 in parallel never meet them.
    explicit ServerApi(std::map<std::string, std::string> env = {},
                       std::vector<std::string> args = {})
        : m_db(TestDatabase::migrated()) {
        start(m_db->url(), test::redis_url(), std::move(env), std::move(args));
    }

    // Against services the test owns (e.g. tests/support/private_services):
    // an already migrated database and a Redis, no TestDatabase.
    ServerApi(const std::string& db_url, const std::string& redis,
              std::map<std::string, std::string> env = {}) {
        start(db_url, redis, std::move(env), {});
    }

    [[nodiscard]] ServerProcess& server() { return *m_server; }
    [[nodiscard]] const TestDatabase& db() const { return m_db.value(); }
    [[nodiscard]] const std::string& database_url() const { return m_options.env.at("DATABASE_URL"); }

    // kill -9 of the server, then the same server started again (on a new
    // port: host()/port() change).
    void kill_and_restart() {
        m_server->signal(SIGKILL);
        (void)m_server->wait(std::chrono::seconds(30));
        m_server.reset();
        m_server.emplace(m_options);
    }
    [[nodiscard]] const std::string& host() const { return m_server->host(); }
    [[nodiscard]] std::uint16_t port() const { return m_server->port(); }

    // A JSON request; `body` null sends none. With a token: Bearer auth.
    HttpResponse call(std::string_view method, std::string_view target,
                      const nlohmann::json& body = nullptr,
                      const std::optional<std::string>& token = std::nullopt,
                      HttpHeaders extra = {}) {
        HttpHeaders h = std::move(extra);
        if (!body.is_null()) h.emplace_back("Content-Type", "application/json");
        if (token) h.emplace_back("Authorization", "Bearer " + *token);
        return http_request(host(), port(), method, target, h,
                            body.is_null() ? std::string() : body.dump());
    }

    // A fresh account, logged in once (a new device of type `device_type`).
    ApiLogin new_account(const std::string& prefix = "api") {
        ApiLogin l;
        l.email = unique_name(prefix) + "@example.com";
        const auto reg =
            call("POST", "/v1/auth/register", {{"email", l.email}, {"password", k_api_password}});
        EXPECT_EQ(reg.status, 201) << reg.describe();
        return login(l.email);
    }

    // Logs in again; `extra` is merged into the login body (device_id, device).
    ApiLogin login(const std::string& email,
                   const nlohmann::json& extra = nlohmann::json::object()) {
        nlohmann::json body = {{"email", email}, {"password", k_api_password}};
        for (const auto& [k, v] : extra.items()) body[k] = v;
        const auto r = call("POST", "/v1/auth/login", body);
        EXPECT_EQ(r.status, 200) << r.describe();
        ApiLogin l;
        l.email = email;
        const auto b = nlohmann::json::parse(r.body, nullptr, false);
        if (!b.is_object()) return l;
        l.access = b.value("access_token", "");
        l.refresh = b.value("refresh_token", "");
        l.session_id = b.value("session_id", "");
        l.account_id = b.value("account_id", "");
        l.device_id = b.value("device_id", "");
        return l;
    }

  private:
    void start(const std::string& db_url, const std::string& redis,
               std::map<std::string, std::string> env, std::vector<std::string> args) {
        m_options.env = server_env(db_url);
        m_options.env["REDIS_URL"] = redis;
        m_options.env["LOGIN_RATE_LIMIT"] = "1000000";
        m_options.env["LOGIN_RATE_LIMIT_PER_IP"] = "1000000";
        for (auto& [k, v] : env) m_options.env[k] = v;
        m_options.args = std::move(args);
        m_options.cwd = m_cwd.path();
        m_server.emplace(m_options);
    }

    std::optional<TestDatabase> m_db;
    TempDir m_cwd;
    ServerOptions m_options;
    std::optional<ServerProcess> m_server;
};

// `{"error":{"code":code,...}}` with `status`.
inline void expect_api_error(const HttpResponse& r, int status, std::string_view code) {
    EXPECT_EQ(r.status, status) << r.describe();
    const auto body = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object() && body.contains("error")) << r.describe();
    EXPECT_EQ(body["error"].value("code", ""), code) << r.describe();
}

}  // namespace edgesync::test
