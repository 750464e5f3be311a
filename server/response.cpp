#include "server/response.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

namespace edgesync::server {

Response json_response(int status, const nlohmann::json& body) {
    Response r;
    r.status = status;
    r.headers.set("Content-Type", std::string(k_json_content_type));
    // Replace invalid UTF-8 instead of throwing: a response must always render.
    r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return r;
}

Response text_response(int status, std::string body, std::string_view content_type) {
    Response r;
    r.status = status;
    r.headers.set("Content-Type", std::string(content_type));
    r.body = std::move(body);
    return r;
}

nlohmann::json error_body(std::string_view code, std::string_view message) {
    return {{"error", {{"code", code}, {"message", message}}}};
}

Response error_response(int status, std::string_view code, std::string_view message) {
    return json_response(status, error_body(code, message));
}

Response service_error_response(const ServiceError& e) {
    const std::string_view code = e.code == ServiceErrorCode::invalid_argument
                                      ? error_code::invalid_request
                                      : to_string(e.code);
    auto r = error_response(to_http_status(e.code), code, e.message);
    if (e.code == ServiceErrorCode::rate_limited)
        r.headers.set("Retry-After",
                      std::to_string(std::max<std::int64_t>(1, e.retry_after.count())));
    if (e.code == ServiceErrorCode::invalid_token) r.headers.set("WWW-Authenticate", "Bearer");
    return r;
}

}  // namespace edgesync::server
