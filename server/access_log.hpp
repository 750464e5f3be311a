#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace edgesync::server {

// One access log line's worth of facts. Deliberately no headers, query string
// or body: those carry tokens, passwords and ciphertext. The route is the
// TEMPLATE ("/v1/states/{key}"), never the raw path.
struct AccessRecord {
    std::string_view method;
    std::string_view route;
    int status = 0;
    std::chrono::nanoseconds duration{0};
    std::string_view request_id;
    std::optional<std::string_view> account_id;
    std::string_view remote_address;
    std::size_t bytes_in = 0;   // request body
    std::size_t bytes_out = 0;  // response body
};

// `access method=GET route=/v1/states/{key} status=200 duration_ms=1.234
// request_id=... account=- remote=127.0.0.1 bytes_in=0 bytes_out=42`.
// Values are printed as logfmt; anything not plainly printable is replaced
// so a hostile value cannot forge a second line.
[[nodiscard]] std::string format_access_log(const AccessRecord& record);

// `method` if it is a plausible HTTP method (1-16 upper-case letters), else "-".
[[nodiscard]] std::string_view sanitize_method(std::string_view method) noexcept;

}  // namespace edgesync::server
