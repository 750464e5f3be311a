#pragma once

// Shared by the live-transport suites (test_server_events*, test_server_sse*,
// test_server_ws*): the real edgesync-server (one or more instances on one
// private database and the test Redis), an account logged in over HTTP, and
// writes done the way the state routes do them: PgStateRepository commit,
// then publish_live() of the LiveEvent on es:account:{aid}.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "shared/config/config.hpp"
#include "shared/db/pg_pool.hpp"
#include "shared/db/redis_pool.hpp"
#include "shared/repositories/pg_state_repository.hpp"
#include "shared/services/live_message.hpp"
#include "shared/services/redis_publisher.hpp"
#include "shared/services/revocation.hpp"
#include "shared/util/time.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"

namespace edgesync::test {

// A bound on a hung server, never a timing assertion.
inline constexpr std::chrono::milliseconds k_patience{15'000};
inline constexpr std::string_view k_live_password = "correct horse battery staple 42";

struct LiveLogin {
    std::string email;
    std::string access;
    std::string account_id;
    std::string device_id;
    std::string session_id;
};

class LiveServerTest : public ::testing::Test {
  protected:
    static RedisPool::Options small_redis_pool() {
        RedisPool::Options o;
        o.max_size = 2;
        return o;
    }

    LiveServerTest()
        : m_pg(PgPool::Options{.url = m_db.url(), .size = 2}),
          m_states(m_pg),
          m_redis(parse_redis_url(redis_url()), small_redis_pool()),
          m_publisher(m_redis) {}

    // Starts one more instance; `env` goes over server_env().
    ServerProcess& start_server(const std::map<std::string, std::string>& env = {}) {
        ServerOptions o;
        o.env = server_env(m_db.url());
        o.env["LOGIN_RATE_LIMIT"] = "1000000";
        o.env["LOGIN_RATE_LIMIT_PER_IP"] = "1000000";
        for (const auto& [k, v] : env) o.env[k] = v;
        o.cwd = m_cwd.path();
        m_servers.push_back(std::make_unique<ServerProcess>(std::move(o)));
        return *m_servers.back();
    }
    ServerProcess& server(std::size_t i = 0) { return *m_servers.at(i); }

    HttpResponse get(std::string_view target, const std::string& token, std::size_t i = 0) {
        return http_request(server(i).host(), server(i).port(), "GET", target,
                            {{"Authorization", "Bearer " + token}});
    }

    LiveLogin register_and_login(const std::string& prefix) {
        const auto email = unique_name(prefix) + "@example.com";
        const nlohmann::json creds{{"email", email}, {"password", k_live_password}};
        const auto r = http_request(server().host(), server().port(), "POST", "/v1/auth/register",
                                    {{"Content-Type", "application/json"}}, creds.dump());
        EXPECT_EQ(r.status, 201) << r.describe();
        return login(email);
    }
    // A new session (and device) of the account.
    LiveLogin login(const std::string& email) {
        const nlohmann::json creds{{"email", email}, {"password", k_live_password}};
        const auto r = http_request(server().host(), server().port(), "POST", "/v1/auth/login",
                                    {{"Content-Type", "application/json"}}, creds.dump());
        EXPECT_EQ(r.status, 200) << r.describe();
        const auto b = nlohmann::json::parse(r.body);
        return {email, b["access_token"], b["account_id"], b["device_id"], b["session_id"]};
    }

    // Commits a put of a new key; publishes its LiveEvent unless told not to.
    WriteResult put(const LiveLogin& who, const std::string& key, bool publish = true) {
        StateWrite w{who.account_id, who.device_id, key, Precondition::create(),
                     PutState{Bytes{1, 2, 3}, Bytes(24, 7)}};
        auto result = m_states.write(w);
        EXPECT_TRUE(result.has_value());
        if (publish && result) publish_event(who, key, *result);
        return result.value_or(WriteResult{});
    }
    void publish_event(const LiveLogin& who, const std::string& key, const WriteResult& r) {
        publish_live(m_publisher, who.account_id,
                     LiveEvent{r.seq, "state.put", key, who.device_id, r.version, now()});
    }
    void publish_revocation_of(const RevocationNotice& notice) {
        publish_revocation(m_publisher, notice);
    }

    // Waits until instance `i` has at least `n` live subscribers (a stream or
    // long poll is registered with the hub), read from /metrics.
    void wait_for_subscribers(std::size_t n, std::size_t i = 0) {
        const auto deadline = std::chrono::steady_clock::now() + k_patience;
        while (std::chrono::steady_clock::now() < deadline) {
            const auto r = http_request(server(i).host(), server(i).port(), "GET", "/metrics");
            const auto pos = r.body.find("\nedgesync_live_subscribers ");
            if (pos != std::string::npos && std::stoul(r.body.substr(pos + 27)) >= n) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        FAIL() << "instance " << i << " never had " << n << " live subscriber(s)";
    }

    TestDatabase m_db = TestDatabase::migrated();
    TempDir m_cwd;
    PgPool m_pg;
    PgStateRepository m_states;
    RedisPool m_redis;
    RedisPublisher m_publisher;
    std::vector<std::unique_ptr<ServerProcess>> m_servers;
};

}  // namespace edgesync::test
