#include "server/state_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "server/response.hpp"

namespace edgesync::server {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

Response bad_precondition(std::string_view message) {
    return error_response(400, error_code::invalid_precondition, message);
}

}  // namespace

nlohmann::json state_json(const EncryptedState& s) {
    nlohmann::json j = {{"key", s.key},          {"version", s.version},
                        {"seq", s.seq},          {"device_id", s.device_id},
                        {"size", s.size},        {"updated_at", format_rfc3339(s.updated_at)},
                        {"deleted", s.deleted()}};
    if (!s.deleted()) {
        j["state"] = base64_encode(s.state);
        j["nonce"] = base64_encode(s.nonce);
    }
    return j;
}

std::string etag(std::int64_t version) { return fmt::format("\"{}\"", version); }

std::optional<std::int64_t> parse_etag(std::string_view text) {
    text = trim(text);
    if (text.size() < 3 || text.front() != '"' || text.back() != '"') return std::nullopt;
    const auto digits = text.substr(1, text.size() - 2);
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc{} || ptr != digits.data() + digits.size() || v <= 0) return std::nullopt;
    return v;
}

bool none_match_hits(std::string_view header, std::int64_t version) {
    while (!header.empty()) {
        const auto comma = header.find(',');
        auto tag = trim(header.substr(0, comma));
        if (tag == "*") return true;
        if (tag.starts_with("W/")) tag.remove_prefix(2);
        if (parse_etag(tag) == version) return true;
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return false;
}

bool valid_key(std::string_view key, std::size_t max_key_bytes) {
    if (key.empty() || key.size() > max_key_bytes) return false;
    return std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '~' || c == '-';
    });
}

std::expected<Precondition, Response> put_precondition(const Headers& headers) {
    const auto if_match = headers.get("If-Match");
    const auto if_none_match = headers.get("If-None-Match");
    if (if_match && if_none_match)
        return std::unexpected(bad_precondition("send If-Match or If-None-Match, not both"));
    if (if_none_match) {
        if (trim(*if_none_match) != "*")
            return std::unexpected(
                bad_precondition("If-None-Match must be '*' (create a key that does not exist)"));
        return Precondition::create();
    }
    if (if_match) {
        const auto version = parse_etag(*if_match);
        if (!version)
            return std::unexpected(
                bad_precondition("If-Match must be one strong entity tag: \"VERSION\""));
        return Precondition::if_version(*version);
    }
    return std::unexpected(
        error_response(428, error_code::precondition_required,
                       "send If-None-Match: * to create or If-Match: \"VERSION\" to update"));
}

std::expected<Bytes, Response> base64_field(const nlohmann::json& item, const char* name) {
    const auto it = item.find(name);
    Bytes out;
    if (it == item.end() || !it->is_string() ||
        !base64_decode(it->get_ref<const std::string&>(), out))
        return std::unexpected(error_response(400, error_code::invalid_request,
                                              fmt::format("'{}' must be standard base64", name)));
    return out;
}

}  // namespace edgesync::server
