#include "server/response.hpp"

#include <nlohmann/json.hpp>

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

}  // namespace edgesync::server
