#include "shared/auth/refresh_token.hpp"

#include <array>
#include <stdexcept>

#include "shared/crypto/hash.hpp"
#include "shared/crypto/secret_bytes.hpp"
#include "shared/util/bytes.hpp"
#include "shared/util/uuid.hpp"

namespace edgesync::auth {
namespace {

constexpr std::string_view k_version = "v1";
// Not base64url (it has spaces), so it can never be a JWT signing input.
constexpr std::string_view k_mac_key_label = "edgesync refresh token mac key v1";
constexpr std::size_t k_uuid_chars = 36;
constexpr std::size_t k_b64_32_bytes_chars = 43;  // unpadded base64url of 32 bytes

static_assert(k_refresh_token_chars == k_version.size() + 1 + k_uuid_chars + 1 + k_uuid_chars + 1 +
                                           k_b64_32_bytes_chars + 1 + k_b64_32_bytes_chars);

bool is_lower_uuid(std::string_view s) {
    if (!is_uuid(s)) return false;
    for (const char c : s)
        if (c >= 'A' && c <= 'F') return false;
    return true;
}

Bytes tag_of(const JwtKey& key, std::string_view body) {
    Bytes derived = crypto::hmac_sha256(key.bytes(), crypto::as_bytes(k_mac_key_label));
    const crypto::SecretBytes mac_key(derived);
    crypto::wipe(derived);
    return crypto::hmac_sha256(mac_key, crypto::as_bytes(body));
}

}  // namespace

std::string make_refresh_token(const JwtKey& key, std::string_view account_id,
                               std::string_view session_id) {
    if (!is_lower_uuid(account_id) || !is_lower_uuid(session_id))
        throw std::invalid_argument("make_refresh_token: ids must be lower-case UUIDs");
    std::string body(k_version);
    body += '.';
    body += account_id;
    body += '.';
    body += session_id;
    body += '.';
    body += base64url_encode(crypto::random_bytes(k_refresh_secret_bytes));
    const auto tag = tag_of(key, body);
    return body + "." + base64url_encode(tag);
}

std::optional<RefreshTokenIds> parse_refresh_token(const JwtKey& key, std::string_view token) {
    if (token.size() != k_refresh_token_chars) return std::nullopt;
    std::array<std::string_view, 5> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto dot = i + 1 < parts.size() ? token.find('.', start) : token.size();
        if (dot == std::string_view::npos) return std::nullopt;
        parts[i] = token.substr(start, dot - start);
        start = dot + 1;
    }
    // The last part takes the rest: a stray dot there fails base64url below.
    if (parts[0] != k_version || !is_lower_uuid(parts[1]) || !is_lower_uuid(parts[2]))
        return std::nullopt;
    Bytes secret;
    Bytes tag;
    if (!base64url_decode(parts[3], secret) || secret.size() != k_refresh_secret_bytes ||
        !base64url_decode(parts[4], tag))
        return std::nullopt;
    const auto body = token.substr(0, token.size() - parts[4].size() - 1);
    if (!crypto::equal(tag, tag_of(key, body))) return std::nullopt;
    return RefreshTokenIds{std::string(parts[1]), std::string(parts[2])};
}

std::string refresh_token_hash(std::string_view token) {
    return hex_encode(crypto::blake2b(crypto::as_bytes(token), crypto::k_hash_bytes));
}

}  // namespace edgesync::auth
