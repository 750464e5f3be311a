#pragma once

// A running edgesync-server against a private migrated database, plus the
// calls the device, key and presence suites share: accounts, logins with a
// device key pair, JSON requests, error assertions.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "shared/crypto/sealed_box.hpp"
#include "shared/util/bytes.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"

namespace edgesync::test {

inline constexpr std::string_view k_fixture_password = "correct horse battery staple 42";

// One logged-in device.
struct DeviceLogin {
    std::string access;
    std::string account_id;
    std::string device_id;
    std::string email;
    std::optional<crypto::BoxKeyPair> keys;  // nullopt: a browser device without a key
};

class ServerAccountFixture : public ::testing::Test {
  protected:
    void SetUp() override {
        ServerOptions o;
        o.env = server_env(m_db.url());
        o.env["LOGIN_RATE_LIMIT"] = "1000000";  // every test logs in from 127.0.0.1
        o.env["LOGIN_RATE_LIMIT_PER_IP"] = "1000000";
        o.cwd = m_cwd.path();
        m_server.emplace(std::move(o));
    }

    // A request with a raw body and content type (none when empty).
    HttpResponse raw(std::string_view method, std::string_view target,
                     const std::optional<std::string>& token, std::string_view body = {},
                     std::string_view content_type = "application/json",
                     const HttpHeaders& extra = {}) {
        HttpHeaders h = extra;
        if (!content_type.empty()) h.emplace_back("Content-Type", std::string(content_type));
        if (token) h.emplace_back("Authorization", "Bearer " + *token);
        return http_request(m_server->host(), m_server->port(), method, target, h, body);
    }

    // A JSON request; a null body sends none.
    HttpResponse call(std::string_view method, std::string_view target,
                      const std::optional<std::string>& token, const nlohmann::json& body = nullptr,
                      const HttpHeaders& extra = {}) {
        if (body.is_null()) return raw(method, target, token, {}, {}, extra);
        return raw(method, target, token, body.dump(), "application/json", extra);
    }

    std::string register_account(const std::string& prefix) {
        const auto email = unique_name(prefix) + "@example.com";
        const auto r = call("POST", "/v1/auth/register", std::nullopt,
                            {{"email", email}, {"password", k_fixture_password}});
        EXPECT_EQ(r.status, 201) << r.describe();
        return email;
    }

    // Logs in with a new device of its own key pair, or (with_key false) a
    // keyless browser device.
    DeviceLogin login(const std::string& email, bool with_key = true,
                      const std::string& name = "laptop") {
        nlohmann::json body = {{"email", email}, {"password", k_fixture_password}};
        DeviceLogin l;
        l.email = email;
        if (with_key) {
            l.keys = crypto::generate_box_keypair();
            body["device"] = {{"name", name},
                              {"device_type", "agent"},
                              {"public_key", base64_encode(l.keys->public_key)}};
        }
        const auto r = call("POST", "/v1/auth/login", std::nullopt, body);
        EXPECT_EQ(r.status, 200) << r.describe();
        const auto b = nlohmann::json::parse(r.body);
        l.access = b["access_token"];
        l.account_id = b["account_id"];
        l.device_id = b["device_id"];
        return l;
    }

    DeviceLogin new_account(const std::string& prefix, bool with_key = true) {
        return login(register_account(prefix), with_key);
    }

    // The account key sealed to `to`'s public key, as the API carries it.
    static std::string sealed_key_for(const DeviceLogin& to, const Bytes& account_key) {
        return base64_encode(crypto::seal_to(to.keys->public_key, account_key));
    }

    // Stores the first device's own wrapped key (the bootstrap write).
    void store_own_key(const DeviceLogin& d, const Bytes& account_key, int version = 1) {
        const auto r =
            call("PUT", "/v1/keys/devices/" + d.device_id, d.access,
                 {{"wrapped_key", sealed_key_for(d, account_key)}, {"key_version", version}});
        ASSERT_EQ(r.status, 200) << r.describe();
    }

    TestDatabase m_db = TestDatabase::migrated();
    TempDir m_cwd;
    std::optional<ServerProcess> m_server;
};

inline void expect_error(const HttpResponse& r, int status, std::string_view code) {
    EXPECT_EQ(r.status, status) << r.describe();
    const auto body = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.describe();
    EXPECT_EQ(body["error"]["code"], code) << r.describe();
}

inline nlohmann::json body_of(const HttpResponse& r) {
    return nlohmann::json::parse(r.body, nullptr, false);
}

inline constexpr std::string_view k_unknown_uuid = "0b9d3f3e-5d2c-4c1e-9f3a-2b7c1d0e4f5a";

}  // namespace edgesync::test
