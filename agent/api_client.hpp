#pragma once

#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "agent/http_client.hpp"

namespace edgesync::agent {

// What a login or a refresh returns, kept in the state directory (0600).
struct Tokens {
    std::string access_token;
    std::string refresh_token;
    std::string account_id;
    std::string device_id;
    std::string session_id;

    [[nodiscard]] nlohmann::json to_json() const;
    // Throws std::invalid_argument when a member is missing or not a string.
    [[nodiscard]] static Tokens from_json(const nlohmann::json& j);
};

// The server answered with an error: `status` and the stable `code` of
// {"error":{"code","message"}} ("" when the body was not that shape). The
// message is the server's (it never contains a token).
class ApiError : public std::runtime_error {
  public:
    ApiError(long status, std::string code, const std::string& message,
             nlohmann::json body = nullptr);
    [[nodiscard]] long status() const noexcept { return m_status; }
    [[nodiscard]] const std::string& code() const noexcept { return m_code; }
    // The whole error body (e.g. 412's "current" state).
    [[nodiscard]] const nlohmann::json& body() const noexcept { return m_body; }

  private:
    long m_status;
    std::string m_code;
    nlohmann::json m_body;
};

// The session is over and refreshing cannot bring it back (logged out,
// purged, expired, refresh token reused): log in again.
class SessionEnded : public ApiError {
  public:
    using ApiError::ApiError;
};

// This device is revoked: stop syncing for good (the agent exits with its
// own code so systemd does not restart it).
class DeviceRevoked : public ApiError {
  public:
    using ApiError::ApiError;
};

// The EdgeSync HTTP API for one device: JSON in and out, the access token on
// every call, and one transparent refresh when the server says the access
// token is no longer good (401 invalid_token), after which the call is
// retried once. New tokens are handed to `on_tokens` (to be saved) before
// they are used. Thread-safe: each thread gets its own connection; tokens
// are shared under a mutex and refreshed once for all threads.
class ApiClient {
  public:
    using OnTokens = std::function<void(const Tokens&)>;

    // `base_url` like "http://127.0.0.1:8080" (no trailing slash needed).
    ApiClient(std::string base_url, Tokens tokens, OnTokens on_tokens = {});

    // Unauthenticated calls (register, login). Throws ApiError for non-2xx.
    [[nodiscard]] static nlohmann::json post_json(HttpClient& http, const std::string& base_url,
                                                  std::string_view path,
                                                  const nlohmann::json& body);
    // POST /v1/auth/login with `extra` members (device_id or device).
    [[nodiscard]] static Tokens login(HttpClient& http, const std::string& base_url,
                                      const std::string& email, const std::string& password,
                                      const nlohmann::json& extra = nlohmann::json::object());

    // An authenticated call. `body` null sends none. Returns the parsed JSON
    // body (null for an empty one); `reply` receives the raw reply when given
    // (status, ETag). Throws ApiError (SessionEnded, DeviceRevoked) for a
    // non-2xx answer, TransportError when the server cannot be reached.
    nlohmann::json call(std::string_view method, std::string_view path,
                        const nlohmann::json& body = nullptr, const HeaderList& headers = {},
                        HttpReply* reply = nullptr);

    // Refreshes now (e.g. before opening a stream). Throws SessionEnded.
    void refresh();

    [[nodiscard]] Tokens tokens() const;
    [[nodiscard]] const std::string& base_url() const noexcept { return m_base; }
    // "Authorization: Bearer <current access token>" for callers that open
    // their own connections (the event stream).
    [[nodiscard]] std::pair<std::string, std::string> auth_header() const;

  private:
    HttpReply send(std::string_view method, std::string_view path, const nlohmann::json& body,
                   const HeaderList& headers, const std::string& access);
    void refresh_from(const std::string& stale_access);

    std::string m_base;
    OnTokens m_on_tokens;
    mutable std::mutex m_mutex;  // guards m_tokens; held while refreshing
    Tokens m_tokens;
};

// The ApiError for a non-2xx reply (SessionEnded for 401, DeviceRevoked for
// 403 `revoked`).
[[noreturn]] void throw_api_error(const HttpReply& reply);

}  // namespace edgesync::agent
