#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http_types.hpp"

namespace edgesync::server {

struct Route;

// Everything known about one request while it is handled. Created by the
// connection when the header is read, filled by the dispatcher (request id,
// route, captures) and by hooks (account, session once authentication
// exists), then handed to the handler.
//
// Thread safety: none needed. A context is owned by one request and moves
// between the I/O thread and a worker thread, never used by both at once.
struct RequestContext {
    using Params = std::vector<std::pair<std::string, std::string>>;

    Request request;
    std::string request_id;
    const Route* route = nullptr;  // null until matched, and for unmatched requests
    Params params;                 // the route's {captures}, percent-decoded
    // Set by authentication for authenticated routes; logged, never a token.
    std::optional<std::string> account_id;
    std::optional<std::string> device_id;   // with account_id
    std::optional<std::string> session_id;  // with account_id
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

    // The capture called `name`. Throws std::logic_error if the route's
    // template has none (a programming error, not bad input).
    [[nodiscard]] const std::string& param(std::string_view name) const;
    // A query parameter, percent-decoded ('+' is a space); the first one if
    // repeated; nullopt when absent.
    [[nodiscard]] std::optional<std::string> query(std::string_view name) const;
    // The matched route's template (e.g. "/v1/states/{key}") or "-".
    [[nodiscard]] std::string_view route_template() const noexcept;
};

}  // namespace edgesync::server
