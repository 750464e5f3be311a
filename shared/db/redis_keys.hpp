#pragma once

#include <string>
#include <string_view>

// Every Redis key and channel name EdgeSync uses, in one place (DESIGN "Redis
// keys"). In DESIGN's notation `{aid}` is written literally: the account id in
// braces is the Redis Cluster hash tag, so all of an account's keys share one
// slot and multi-key scripts/transactions stay legal on a cluster. The other
// placeholders (sid, did, email, ip) are plain text.
namespace edgesync::redis_keys {

// "es:{aid}" — the per-account prefix including the hash tag.
[[nodiscard]] inline std::string account_prefix(std::string_view aid) {
    std::string k = "es:{";
    k.append(aid);
    k.append("}");
    return k;
}

// es:{aid}:session:sid — JSON session, TTL = remaining lifetime.
[[nodiscard]] inline std::string session_key(std::string_view aid, std::string_view sid) {
    return account_prefix(aid) + ":session:" + std::string(sid);
}
// es:{aid}:sessions — SET of the account's session ids.
[[nodiscard]] inline std::string account_sessions_key(std::string_view aid) {
    return account_prefix(aid) + ":sessions";
}
// es:{aid}:device:did:sessions — SET of one device's session ids.
[[nodiscard]] inline std::string device_sessions_key(std::string_view aid, std::string_view did) {
    return account_prefix(aid) + ":device:" + std::string(did) + ":sessions";
}
// es:{aid}:presence:did — JSON {status, last_seen, server}, short TTL.
[[nodiscard]] inline std::string presence_key(std::string_view aid, std::string_view did) {
    return account_prefix(aid) + ":presence:" + std::string(did);
}
// es:ratelimit:login:email:ip — attempt counter with EXPIRE.
[[nodiscard]] inline std::string login_ratelimit_key(std::string_view email, std::string_view ip) {
    return "es:ratelimit:login:" + std::string(email) + ":" + std::string(ip);
}
// es:ratelimit:login-ip:ip — attempt counter over every email from one address
// ("login-ip" cannot collide with the key above: an email contains '@').
[[nodiscard]] inline std::string login_ip_ratelimit_key(std::string_view ip) {
    return "es:ratelimit:login-ip:" + std::string(ip);
}

// Pub/sub channels. Channels are not keys (a cluster broadcasts them), but they
// are spelled as DESIGN writes them, hash-tag braces included, for consistency.
// es:account:{aid} — {"seq":N,"key":..,"device":..} after each commit.
[[nodiscard]] inline std::string account_channel(std::string_view aid) {
    return "es:account:{" + std::string(aid) + "}";
}
// PSUBSCRIBE pattern matching every account_channel().
inline constexpr std::string_view k_account_channel_pattern = "es:account:{*}";
// {"session":..} | {"device":..} | {"account":..} when access ends.
inline constexpr std::string_view k_revocations_channel = "es:revocations";

// `text` with Redis glob metacharacters (* ? [ ] \) escaped, for SCAN MATCH.
[[nodiscard]] inline std::string glob_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

// SCAN MATCH patterns.
// es:{aid}:presence:* — one account's presence keys.
[[nodiscard]] inline std::string presence_pattern(std::string_view aid) {
    return glob_escape(account_prefix(aid)) + ":presence:*";
}
// Every session index set of every account (both kinds): es:{*}:sessions and
// es:{*}:device:*:sessions. Callers still check the shape with
// parse_session_index_key (a device id could itself contain "sessions").
inline constexpr std::string_view k_session_index_pattern = "es:{*}*:sessions";

// The account id of an index set key (either kind), or empty if `key` is not one.
[[nodiscard]] inline std::string_view parse_session_index_key(std::string_view key) {
    constexpr std::string_view head = "es:{";
    if (!key.starts_with(head)) return {};
    const auto close = key.find('}', head.size());
    if (close == std::string_view::npos || close == head.size()) return {};
    const auto aid = key.substr(head.size(), close - head.size());
    const auto rest = key.substr(close + 1);
    if (rest == ":sessions") return aid;
    if (rest.starts_with(":device:") && rest.ends_with(":sessions") &&
        rest.size() > std::string_view(":device::sessions").size())
        return aid;
    return {};
}

}  // namespace edgesync::redis_keys
