#include "server/access_log.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace edgesync::server {

namespace {

// Printable ASCII without spaces, quotes or backslashes; else '?'. Empty -> "-".
std::string safe(std::string_view v) {
    if (v.empty()) return "-";
    std::string out(v.substr(0, 200));
    for (char& c : out)
        if (c <= ' ' || c > '~' || c == '"' || c == '\\' || c == '=') c = '?';
    return out;
}

}  // namespace

std::string_view sanitize_method(std::string_view method) noexcept {
    const bool ok =
        !method.empty() && method.size() <= 16 &&
        std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    return ok ? method : std::string_view("-");
}

std::string format_access_log(const AccessRecord& r) {
    const double ms = std::chrono::duration<double, std::milli>(r.duration).count();
    return fmt::format(
        "access method={} route={} status={} duration_ms={:.3f} request_id={} account={} "
        "remote={} bytes_in={} bytes_out={}",
        sanitize_method(r.method), safe(r.route), r.status, ms, safe(r.request_id),
        r.account_id ? safe(*r.account_id) : std::string("-"), safe(r.remote_address), r.bytes_in,
        r.bytes_out);
}

}  // namespace edgesync::server
