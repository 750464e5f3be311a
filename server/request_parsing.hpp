#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "server/http_types.hpp"
#include "server/request_context.hpp"

// Reading client input safely: every malformed input becomes a 4xx value,
// never an exception that would end as a 500.
namespace edgesync::server {

// True when Content-Type is application/json, parameters (charset) allowed.
[[nodiscard]] bool is_json_content_type(const Request& request);

// The body parsed as JSON: 415 unsupported_media_type unless the content type
// is JSON, 400 malformed_json when it does not parse (the message says where,
// never echoes the body).
[[nodiscard]] std::expected<nlohmann::json, Response> json_body(const RequestContext& ctx);

// The capture `name` as a canonical lower-case UUID; 400 invalid_uuid otherwise.
[[nodiscard]] std::expected<std::string, Response> uuid_param(const RequestContext& ctx,
                                                              std::string_view name);

// The query parameter `name` as an integer in [min, max]; `fallback` when
// absent; 400 invalid_query when malformed or out of range.
[[nodiscard]] std::expected<std::int64_t, Response> query_int(const RequestContext& ctx,
                                                              std::string_view name,
                                                              std::int64_t fallback,
                                                              std::int64_t min, std::int64_t max);

}  // namespace edgesync::server
