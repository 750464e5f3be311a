#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "server/http_types.hpp"
#include "server/request_context.hpp"
#include "server/response.hpp"  // service_error_response
#include "shared/services/service_error.hpp"
#include "shared/util/bytes.hpp"

// Reading the members of a JSON request body, for the device, key and
// presence routes: every malformed member is a 400 value naming the member,
// never an exception and never the member's value (it may be key material).
namespace edgesync::server {

// The body as a JSON object: json_body's 415 / 400 malformed_json, then 400
// invalid_request when it is not an object.
[[nodiscard]] std::expected<nlohmann::json, Response> object_body(const RequestContext& ctx);

// As object_body, but an empty body (with or without a Content-Type) is {}.
[[nodiscard]] std::expected<nlohmann::json, Response> optional_object_body(
    const RequestContext& ctx);

// The string member `name`; 400 invalid_request when absent or not a string.
[[nodiscard]] std::expected<std::string, Response> string_field(const nlohmann::json& body,
                                                                std::string_view name);

// The member `name`, standard base64 of min_bytes..max_bytes bytes decoded;
// 400 invalid_request otherwise.
[[nodiscard]] std::expected<Bytes, Response> base64_field(const nlohmann::json& body,
                                                          std::string_view name,
                                                          std::size_t min_bytes,
                                                          std::size_t max_bytes);

// The integer member `name` in [min, max]; 400 invalid_request otherwise.
[[nodiscard]] std::expected<std::int64_t, Response> int_field(const nlohmann::json& body,
                                                              std::string_view name,
                                                              std::int64_t min, std::int64_t max);

// 204 without a body.
[[nodiscard]] Response no_content();


}  // namespace edgesync::server
