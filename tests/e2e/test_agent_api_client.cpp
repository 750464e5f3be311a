// The agent's API client against the real server: JSON calls with the access
// token, one transparent refresh on 401 (new tokens handed over to be saved),
// and the errors the sync loop acts on.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "agent/api_client.hpp"
#include "agent/http_client.hpp"
#include "tests/e2e/server_api_fixture.hpp"

namespace edgesync::test {
namespace {

using agent::ApiClient;
using agent::Tokens;
using nlohmann::json;

// The id of the session marked `current` in a GET /v1/sessions answer.
std::string current_session(const json& answer) {
    for (const auto& s : answer.at("sessions"))
        if (s.value("current", false)) return s.value("id", "");
    return "";
}

class AgentApiClient : public ::testing::Test {
  protected:
    std::string base() const {
        return "http://" + m_api.host() + ":" + std::to_string(m_api.port());
    }

    Tokens login_new_account() {
        const auto l = m_api.new_account("agent-client");
        m_email = l.email;
        agent::HttpClient http;
        return ApiClient::login(http, base(), l.email, std::string(k_api_password));
    }

    ServerApi m_api;
    std::string m_email;
};

TEST_F(AgentApiClient, LoginReturnsTokensForANewDevice) {
    const auto t = login_new_account();
    EXPECT_FALSE(t.access_token.empty());
    EXPECT_FALSE(t.refresh_token.empty());
    EXPECT_FALSE(t.device_id.empty());
    EXPECT_EQ(Tokens::from_json(t.to_json()).session_id, t.session_id);
}

TEST_F(AgentApiClient, WrongPasswordIsAnInvalidCredentialsError) {
    (void)login_new_account();
    agent::HttpClient http;
    try {
        (void)ApiClient::login(http, base(), m_email, "wrong password, long enough");
        FAIL() << "login with a wrong password succeeded";
    } catch (const agent::ApiError& e) {
        EXPECT_EQ(e.status(), 401);
        EXPECT_EQ(e.code(), "invalid_credentials");
    }
}

TEST_F(AgentApiClient, AuthenticatedCallSucceeds) {
    const auto t = login_new_account();
    ApiClient client(base(), t);
    const auto sessions = client.call("GET", "/v1/sessions");
    EXPECT_EQ(current_session(sessions), t.session_id);
}

TEST_F(AgentApiClient, A401IsRefreshedOnceAndTheCallRetriedWithNewTokensSavedFirst) {
    auto t = login_new_account();
    const std::string first_refresh = t.refresh_token;
    t.access_token = "stale.access.token";  // as if it had expired
    std::vector<Tokens> saved;
    ApiClient client(base(), t, [&](const Tokens& next) { saved.push_back(next); });
    const auto sessions = client.call("GET", "/v1/sessions");
    EXPECT_EQ(current_session(sessions), t.session_id);
    ASSERT_EQ(saved.size(), 1U);
    EXPECT_NE(saved[0].refresh_token, first_refresh);
    EXPECT_EQ(client.tokens().access_token, saved[0].access_token);
    EXPECT_EQ(saved[0].session_id, t.session_id);
    // The rotated pair keeps working.
    EXPECT_NO_THROW((void)client.call("GET", "/v1/sessions"));
}

TEST_F(AgentApiClient, AnEndedSessionIsSessionEnded) {
    const auto t = login_new_account();
    ApiClient client(base(), t);
    (void)client.call("POST", "/v1/auth/logout");
    EXPECT_THROW((void)client.call("GET", "/v1/sessions"), agent::SessionEnded);
}

TEST_F(AgentApiClient, ErrorsCarryStatusCodeAndBody) {
    ApiClient client(base(), login_new_account());
    try {
        (void)client.call("DELETE", "/v1/sessions/not-a-uuid");
        FAIL() << "no error";
    } catch (const agent::ApiError& e) {
        EXPECT_EQ(e.status(), 400);
        EXPECT_EQ(e.code(), "invalid_uuid");
        EXPECT_TRUE(e.body().contains("error"));
    }
}

TEST_F(AgentApiClient, AnUnreachableServerIsATransportError) {
    agent::HttpClient http;
    agent::HttpCall call;
    call.url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/health";
    call.timeout = std::chrono::seconds(5);
    EXPECT_THROW((void)http.perform(call), agent::TransportError);
}

TEST_F(AgentApiClient, KeepAliveReusesTheConnectionAcrossCalls) {
    agent::HttpClient http;
    agent::HttpCall call;
    call.url = base() + "/health";
    for (int i = 0; i < 20; ++i) EXPECT_EQ(http.perform(call).status, 200);
    // One connection for all 20: the server counted one.
    const auto metrics = http_request(m_api.host(), m_api.port(), "GET", "/metrics").body;
    EXPECT_NE(metrics.find("edgesync_http_connections_total 2"), std::string::npos)
        << "expected 2 connections (ours + this scrape)";
}

}  // namespace
}  // namespace edgesync::test
