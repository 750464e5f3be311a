#pragma once

#include <nlohmann/json_fwd.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

#include "server/http_types.hpp"
#include "shared/services/service_error.hpp"

namespace edgesync::server {

// The stable `code` values of {"error":{"code":...,"message":...}}. Clients
// branch on them: never rename one, only add.
// clang-format off
namespace error_code {
// 400: the request cannot be understood.
inline constexpr std::string_view malformed_request = "malformed_request";  // request line/header
inline constexpr std::string_view invalid_path = "invalid_path";            // bad %-escape in the path
inline constexpr std::string_view malformed_json = "malformed_json";        // body is not JSON
inline constexpr std::string_view invalid_request = "invalid_request";      // JSON of the wrong shape
inline constexpr std::string_view invalid_uuid = "invalid_uuid";            // an id is not a UUID
inline constexpr std::string_view invalid_query = "invalid_query";          // a malformed parameter
inline constexpr std::string_view invalid_key = "invalid_key";              // a state key breaks the key rules
inline constexpr std::string_view invalid_precondition = "invalid_precondition";  // bad If-Match/If-None-Match
// 403: authenticated, but this device may not do that (message says why).
inline constexpr std::string_view forbidden = "forbidden";
// 404, 405 (with Allow), 413, 415, 431.
inline constexpr std::string_view not_found = "not_found";
inline constexpr std::string_view key_not_found = "key_not_found";  // no wrapped key stored
// 412 / 428: conditional writes (If-Match / If-None-Match).
inline constexpr std::string_view precondition_failed = "precondition_failed";
inline constexpr std::string_view precondition_required = "precondition_required";
inline constexpr std::string_view method_not_allowed = "method_not_allowed";
inline constexpr std::string_view payload_too_large = "payload_too_large";
inline constexpr std::string_view unsupported_media_type = "unsupported_media_type";
inline constexpr std::string_view headers_too_large = "headers_too_large";
// States: a tombstone (404), a stale ETag (412), no precondition (428), over quota (413).
inline constexpr std::string_view deleted = "deleted";
inline constexpr std::string_view quota_exceeded = "quota_exceeded";
// 500: a bug; the message carries the request id.
inline constexpr std::string_view internal_error = "internal_error";
// 503: retry later. overloaded = worker queue or Postgres pool full (Retry-After);
// unavailable = Postgres/Redis unreachable; not_ready = /ready; too_many_connections
// = at SERVER_MAX_CONNECTIONS.
inline constexpr std::string_view overloaded = "overloaded";
inline constexpr std::string_view unavailable = "unavailable";
inline constexpr std::string_view not_ready = "not_ready";
inline constexpr std::string_view too_many_connections = "too_many_connections";
// clang-format on
}  // namespace error_code

inline constexpr std::string_view k_json_content_type = "application/json";

// `body` serialised, Content-Type application/json.
[[nodiscard]] Response json_response(int status, const nlohmann::json& body);
[[nodiscard]] Response text_response(int status, std::string body,
                                     std::string_view content_type = "text/plain; charset=utf-8");
// {"error":{"code":code,"message":message}}. `message` is for humans, one
// line, and must never contain secrets or request bodies.
[[nodiscard]] Response error_response(int status, std::string_view code, std::string_view message);

// The one mapping of a service-layer error to HTTP: status from
// to_http_status, code from to_string — except invalid_argument, which the API
// calls `invalid_request` (a field of the right type with a bad value) —
// plus Retry-After for rate_limited and WWW-Authenticate for invalid_token.
[[nodiscard]] Response service_error_response(const ServiceError& e);
// The same document as a JSON value, for responses that add members (e.g. /ready).
[[nodiscard]] nlohmann::json error_body(std::string_view code, std::string_view message);

// A client error raised from deep inside a handler, where returning a
// Response is awkward. The dispatcher answers error_response(status, code,
// message). Prefer returning values (request_parsing.hpp) where it is easy.
class HttpError : public std::runtime_error {
  public:
    HttpError(int status, std::string_view code, const std::string& message)
        : std::runtime_error(message), m_status(status), m_code(code) {}
    [[nodiscard]] int status() const noexcept { return m_status; }
    [[nodiscard]] const std::string& code() const noexcept { return m_code; }

  private:
    int m_status;
    std::string m_code;
};

}  // namespace edgesync::server
