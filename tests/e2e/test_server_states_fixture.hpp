#pragma once

// The fixture of the /v1/states end-to-end suites: the built server against a
// private migrated database and the test Redis, small batch limits, and
// helpers to sign up accounts and send state requests.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "shared/util/bytes.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"

namespace edgesync::test {

struct Caller {
    std::string token;
    std::string account_id;
    std::string device_id;
};

class ServerStates : public ::testing::Test {
  protected:
    static constexpr std::size_t k_batch_items = 20;
    static constexpr std::size_t k_batch_bytes = 64 * 1024;

    void SetUp() override {
        ServerOptions o;
        o.env = server_env(m_db.url());
        o.env["LOGIN_RATE_LIMIT"] = "1000000";
        o.env["LOGIN_RATE_LIMIT_PER_IP"] = "1000000";
        o.env["MAX_BATCH_ITEMS"] = std::to_string(k_batch_items);
        o.env["MAX_BATCH_BYTES"] = std::to_string(k_batch_bytes);
        o.cwd = m_cwd.path();
        adjust(o);
        m_server.emplace(std::move(o));
    }
    // For fixtures that run the server differently (e.g. another REDIS_URL).
    virtual void adjust(ServerOptions& /*options*/) {}

    HttpResponse send(std::string_view method, std::string_view target, HttpHeaders headers = {},
                      std::string_view body = {}) {
        return http_request(m_server->host(), m_server->port(), method, target, headers, body);
    }

    // A new account, logged in with a new agent device.
    Caller sign_up(const std::string& prefix) {
        static constexpr std::string_view k_password = "correct horse battery staple 42";
        const auto email = unique_name(prefix) + "@example.com";
        const HttpHeaders json_type{{"Content-Type", "application/json"}};
        const auto reg = send("POST", "/v1/auth/register", json_type,
                              nlohmann::json{{"email", email}, {"password", k_password}}.dump());
        EXPECT_EQ(reg.status, 201) << reg.describe();
        const auto r = send("POST", "/v1/auth/login", json_type,
                            nlohmann::json{{"email", email}, {"password", k_password}}.dump());
        EXPECT_EQ(r.status, 200) << r.describe();
        const auto b = nlohmann::json::parse(r.body);
        return {b["access_token"], b["account_id"], b["device_id"]};
    }

    // An authenticated request; a JSON content type when there is a body.
    HttpResponse call(const Caller& c, std::string_view method, std::string_view target,
                      HttpHeaders headers = {}, std::string_view body = {}) {
        headers.emplace_back("Authorization", "Bearer " + c.token);
        if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
        return send(method, target, headers, body);
    }

    static std::string put_body(const Bytes& state, const Bytes& nonce) {
        return nlohmann::json{{"state", base64_encode(state)}, {"nonce", base64_encode(nonce)}}
            .dump();
    }

    // PUT /v1/states/{key} with the given precondition header(s).
    HttpResponse put(const Caller& c, const std::string& key, const Bytes& state,
                     HttpHeaders precondition, const Bytes& nonce = Bytes(24, 0x11)) {
        return call(c, "PUT", "/v1/states/" + key, std::move(precondition), put_body(state, nonce));
    }
    HttpResponse create(const Caller& c, const std::string& key, const Bytes& state) {
        return put(c, key, state, {{"If-None-Match", "*"}});
    }
    HttpResponse update(const Caller& c, const std::string& key, const Bytes& state,
                        std::int64_t version) {
        return put(c, key, state, {{"If-Match", "\"" + std::to_string(version) + "\""}});
    }

    // The account's last_seq, read from Postgres.
    std::int64_t last_seq(const Caller& c) {
        pqxx::connection conn(m_db.url());
        pqxx::nontransaction tx(conn);
        return tx.exec_params1("SELECT last_seq FROM accounts WHERE id = $1", c.account_id)[0]
            .as<std::int64_t>();
    }

    TestDatabase m_db = TestDatabase::migrated();
    TempDir m_cwd;
    std::optional<ServerProcess> m_server;
};

inline nlohmann::json body_of(const HttpResponse& r) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.describe();
    return j;
}

inline void expect_error(const HttpResponse& r, int status, std::string_view code) {
    EXPECT_EQ(r.status, status) << r.describe();
    const auto body = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.describe();
    EXPECT_EQ(body["error"]["code"], code) << r.describe();
}

}  // namespace edgesync::test
