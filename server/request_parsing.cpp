#include "server/request_parsing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "server/response.hpp"
#include "shared/util/uuid.hpp"

namespace edgesync::server {

bool is_json_content_type(const Request& request) {
    const auto value = request.headers.get("Content-Type");
    if (!value) return false;
    std::string_view type = value->substr(0, value->find(';'));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
    return iequals(type, k_json_content_type);
}

std::expected<nlohmann::json, Response> json_body(const RequestContext& ctx) {
    if (!is_json_content_type(ctx.request))
        return std::unexpected(error_response(415, error_code::unsupported_media_type,
                                              "the request body must be application/json"));
    try {
        return nlohmann::json::parse(ctx.request.body);
    } catch (const nlohmann::json::parse_error& e) {
        // e.byte is a position, never content: the body may hold secrets.
        return std::unexpected(
            error_response(400, error_code::malformed_json,
                           fmt::format("the request body is not valid JSON (at byte {})", e.byte)));
    }
}

std::expected<std::string, Response> uuid_param(const RequestContext& ctx, std::string_view name) {
    std::string value = ctx.param(name);
    if (!is_uuid(value))
        return std::unexpected(
            error_response(400, error_code::invalid_uuid, fmt::format("{} must be a UUID", name)));
    std::transform(value.begin(), value.end(), value.begin(),
                   [](char c) { return (c >= 'A' && c <= 'F') ? static_cast<char>(c + 32) : c; });
    return value;
}

std::expected<std::int64_t, Response> query_int(const RequestContext& ctx, std::string_view name,
                                                std::int64_t fallback, std::int64_t min,
                                                std::int64_t max) {
    const auto text = ctx.query(name);
    if (!text) return fallback;
    std::int64_t n = 0;
    const auto* end = text->data() + text->size();
    const auto [ptr, ec] = std::from_chars(text->data(), end, n);
    if (ec != std::errc{} || ptr != end || n < min || n > max)
        return std::unexpected(error_response(
            400, error_code::invalid_query,
            fmt::format("{} must be a whole number between {} and {}", name, min, max)));
    return n;
}

}  // namespace edgesync::server
