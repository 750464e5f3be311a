#include "server/json_fields.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "server/request_parsing.hpp"
#include "server/response.hpp"

namespace edgesync::server {

namespace {

std::unexpected<Response> bad_member(std::string message) {
    return std::unexpected(error_response(400, error_code::invalid_request, message));
}

}  // namespace

std::expected<nlohmann::json, Response> object_body(const RequestContext& ctx) {
    auto body = json_body(ctx);
    if (body && !body->is_object()) return bad_member("the body must be a JSON object");
    return body;
}

std::expected<nlohmann::json, Response> optional_object_body(const RequestContext& ctx) {
    if (ctx.request.body.empty()) return nlohmann::json::object();
    return object_body(ctx);
}

std::expected<std::string, Response> string_field(const nlohmann::json& body,
                                                  std::string_view name) {
    const auto it = body.find(name);
    if (it == body.end() || !it->is_string())
        return bad_member(fmt::format("'{}' must be a string", name));
    return it->get<std::string>();
}

std::expected<Bytes, Response> base64_field(const nlohmann::json& body, std::string_view name,
                                            std::size_t min_bytes, std::size_t max_bytes) {
    auto text = string_field(body, name);
    if (!text) return std::unexpected(text.error());
    Bytes out;
    if (!base64_decode(*text, out))
        return bad_member(fmt::format("'{}' must be standard base64", name));
    if (out.size() < min_bytes || out.size() > max_bytes)
        return bad_member(
            min_bytes == max_bytes
                ? fmt::format("'{}' must decode to {} bytes", name, min_bytes)
                : fmt::format("'{}' must decode to {} to {} bytes", name, min_bytes, max_bytes));
    return out;
}

std::expected<std::int64_t, Response> int_field(const nlohmann::json& body, std::string_view name,
                                                std::int64_t min, std::int64_t max) {
    const auto it = body.find(name);
    const auto out_of_range = [&] {
        return bad_member(
            fmt::format("'{}' must be a whole number between {} and {}", name, min, max));
    };
    if (it == body.end()) return out_of_range();
    if (it->is_number_unsigned()) {
        const auto v = it->get<std::uint64_t>();
        if (v > static_cast<std::uint64_t>(max) || static_cast<std::int64_t>(v) < min)
            return out_of_range();
        return static_cast<std::int64_t>(v);
    }
    if (!it->is_number_integer()) return out_of_range();
    const auto v = it->get<std::int64_t>();
    if (v < min || v > max) return out_of_range();
    return v;
}

Response no_content() {
    Response r;
    r.status = 204;
    return r;
}


}  // namespace edgesync::server
