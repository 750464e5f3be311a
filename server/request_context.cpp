#include "server/request_context.hpp"

#include <stdexcept>

#include "server/router.hpp"
#include "server/url.hpp"

namespace edgesync::server {

const std::string& RequestContext::param(std::string_view name) const {
    for (const auto& [n, v] : params)
        if (n == name) return v;
    throw std::logic_error("route " + std::string(route_template()) + " has no capture {" +
                           std::string(name) + "}");
}

std::optional<std::string> RequestContext::query(std::string_view name) const {
    for (auto& [n, v] : parse_query(request.query()))
        if (n == name) return std::move(v);
    return std::nullopt;
}

std::string_view RequestContext::route_template() const noexcept {
    return route ? std::string_view(route->pattern) : std::string_view("-");
}

}  // namespace edgesync::server
