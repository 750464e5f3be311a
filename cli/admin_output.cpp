#include "cli/admin_output.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include "cli/console.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::cli {
namespace {

using nlohmann::json;

json time_or_null(const std::optional<Timestamp>& t) {
    return t ? json(format_rfc3339(*t)) : json(nullptr);
}

}  // namespace

std::string_view account_status(const Account& a) {
    if (a.deleted()) return "deleted";
    if (a.disabled()) return "disabled";
    return "active";
}

std::string_view device_status(const Device& d) { return d.revoked() ? "revoked" : "active"; }

json account_json(const Account& a) {
    return {{"id", a.id},
            {"email", a.email},
            {"status", account_status(a)},
            {"created_at", format_rfc3339(a.created_at)},
            {"updated_at", format_rfc3339(a.updated_at)},
            {"disabled_at", time_or_null(a.disabled_at)},
            {"deleted_at", time_or_null(a.deleted_at)},
            {"used_bytes", a.used_bytes},
            {"quota_bytes", a.quota_bytes ? json(*a.quota_bytes) : json(nullptr)}};
}

json account_ref_json(const Account& a) { return {{"id", a.id}, {"email", a.email}}; }

json device_json(const Device& d) {
    return {
        {"id", d.id},
        {"account_id", d.account_id},
        {"name", d.name},
        {"type", to_string(d.device_type)},
        {"status", device_status(d)},
        {"created_at", format_rfc3339(d.created_at)},
        {"updated_at", format_rfc3339(d.updated_at)},
        {"last_seen_at", time_or_null(d.last_seen_at)},
        {"revoked_at", time_or_null(d.revoked_at)},
        {"public_key", d.public_key.empty() ? json(nullptr) : json(base64_encode(d.public_key))},
        {"key_version", d.key_version}};
}

json session_json(const Session& s, const std::optional<std::string>& device_name, Timestamp at) {
    return {{"id", s.id},
            {"account_id", s.account_id},
            {"device_id", s.device_id},
            {"device_name", device_name ? json(*device_name) : json(nullptr)},
            {"created_at", format_rfc3339(s.created_at)},
            {"expires_at", format_rfc3339(s.expires_at)},
            {"last_used_at", format_rfc3339(s.last_used_at)},
            {"ttl_seconds", seconds_left(s.expires_at, at)},
            {"ip", s.ip},
            {"user_agent", s.user_agent}};
}

std::string human_time(std::optional<Timestamp> t, std::string_view absent) {
    if (!t) return std::string(absent);
    auto text = format_rfc3339(*t);  // 2026-11-25T09:24:39.123456Z
    const auto dot = text.find('.');
    if (dot != std::string::npos) text = text.substr(0, dot) + "Z";
    return text;
}

std::string human_bytes(std::int64_t bytes) {
    static constexpr std::array<const char*, 6> k_units{"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) return fmt::format("{} B", bytes);
    auto value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 1024 && unit + 1 < k_units.size()) {
        value /= 1024;
        ++unit;
    }
    return fmt::format("{:.1f} {}", value, k_units[unit]);
}

std::string human_duration(std::chrono::seconds d) {
    const auto s = d.count();
    if (s <= 0) return "expired";
    if (s < 60) return fmt::format("{}s", s);
    if (s < 3600) return fmt::format("{}m {}s", s / 60, s % 60);
    if (s < 86400) return fmt::format("{}h {}m", s / 3600, s % 3600 / 60);
    return fmt::format("{}d {}h", s / 86400, s % 86400 / 3600);
}

std::int64_t seconds_left(Timestamp expires_at, Timestamp at) {
    return std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::seconds>(expires_at - at).count());
}

void print_fields(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::size_t width = 0;
    for (const auto& [name, value] : fields) width = std::max(width, name.size() + 1);
    std::string out;
    for (const auto& [name, value] : fields)
        out += fmt::format("{:<{}}  {}\n", name + ":", width, value);
    fmt::print("{}", out);
}

std::optional<std::int64_t> parse_byte_size(std::string_view text) {
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end == text.data() || n < 0) return std::nullopt;
    const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    struct Unit {
        std::string_view name;
        std::int64_t factor;
    };
    static constexpr std::array<Unit, 10> k_units{{{"", 1},
                                                   {"B", 1},
                                                   {"KiB", 1LL << 10},
                                                   {"MiB", 1LL << 20},
                                                   {"GiB", 1LL << 30},
                                                   {"TiB", 1LL << 40},
                                                   {"KB", 1'000},
                                                   {"MB", 1'000'000},
                                                   {"GB", 1'000'000'000},
                                                   {"TB", 1'000'000'000'000}}};
    std::int64_t factor = 0;
    for (const auto& u : k_units)
        if (u.name == unit) factor = u.factor;
    if (factor == 0) return std::nullopt;
    if (n > std::numeric_limits<std::int64_t>::max() / factor) return std::nullopt;
    return n * factor;
}

}  // namespace edgesync::cli
