#include "shared/auth/jwt.hpp"

#include <nlohmann/json.hpp>

#include <limits>
#include <optional>
#include <stdexcept>

#include "shared/crypto/hash.hpp"
#include "shared/util/bytes.hpp"
#include "shared/util/uuid.hpp"

namespace edgesync::auth {
namespace {

using nlohmann::json;

// What issue_access_token writes. Verification parses the header instead of
// comparing bytes, so a peer's member order or spacing would not matter.
constexpr std::string_view k_header = R"({"alg":"HS256","typ":"JWT"})";

std::string encode_text(std::string_view text) {
    return base64url_encode(Bytes(text.begin(), text.end()));
}

// The decoded bytes of one part, or nullopt for an empty part or anything but
// canonical unpadded base64url (libsodium refuses padding, whitespace and
// non-zero trailing bits, so a token has exactly one spelling).
std::optional<Bytes> decode_part(std::string_view part) {
    Bytes out;
    if (part.empty() || !base64url_decode(part, out)) return std::nullopt;
    return out;
}

// A JSON object, or nullopt for anything else (never throws).
std::optional<json> parse_object(const Bytes& text) {
    json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    return j;
}

bool typ_is_jwt(const json& typ) {
    if (!typ.is_string()) return false;
    const auto& t = typ.get_ref<const std::string&>();
    // RFC 7515 §4.1.9: compared case-insensitively.
    return t.size() == 3 && (t[0] | 0x20) == 'j' && (t[1] | 0x20) == 'w' && (t[2] | 0x20) == 't';
}

// The header must be exactly {"alg":"HS256"} plus, optionally, "typ":"JWT".
std::expected<void, TokenError> check_header(const json& h) {
    for (const auto& [name, value] : h.items()) {
        if (name == "alg") {
            if (!value.is_string()) return std::unexpected(TokenError::malformed);
            if (value.get_ref<const std::string&>() != "HS256")
                return std::unexpected(TokenError::unsupported_algorithm);
        } else if (name == "typ") {
            if (!typ_is_jwt(value)) return std::unexpected(TokenError::malformed);
        } else {
            // kid, jku, crit, ...: nothing we would honour, so nothing we accept.
            return std::unexpected(TokenError::malformed);
        }
    }
    if (!h.contains("alg")) return std::unexpected(TokenError::malformed);
    return {};
}

std::optional<std::string> string_claim(const json& p, const char* name) {
    const auto it = p.find(name);
    if (it == p.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

std::optional<std::string> uuid_claim(const json& p, const char* name) {
    auto s = string_claim(p, name);
    if (!s || !is_uuid(*s)) return std::nullopt;
    return s;
}

// A non-negative integer NumericDate that fits in int64 (fractions refused).
std::optional<std::int64_t> time_claim(const json& p, const char* name) {
    const auto it = p.find(name);
    if (it == p.end()) return std::nullopt;
    if (it->is_number_unsigned()) {
        const auto v = it->get<std::uint64_t>();
        if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return std::nullopt;
        return static_cast<std::int64_t>(v);
    }
    if (it->is_number_integer()) {
        const auto v = it->get<std::int64_t>();
        if (v < 0) return std::nullopt;
        return v;
    }
    return std::nullopt;
}

std::expected<AccessClaims, TokenError> read_claims(const json& p) {
    AccessClaims c;
    auto iss = string_claim(p, "iss");
    auto sub = uuid_claim(p, "sub");
    auto did = uuid_claim(p, "did");
    auto sid = uuid_claim(p, "sid");
    const auto iat = time_claim(p, "iat");
    const auto exp = time_claim(p, "exp");
    if (!iss || !sub || !did || !sid || !iat || !exp || *exp <= *iat)
        return std::unexpected(TokenError::invalid_claims);
    c.iss = std::move(*iss);
    c.sub = std::move(*sub);
    c.did = std::move(*did);
    c.sid = std::move(*sid);
    c.iat = *iat;
    c.exp = *exp;
    return c;
}

std::expected<AccessClaims, TokenError> verify(const JwtKey& key, std::string_view token,
                                               Timestamp now, std::string_view expected_issuer) {
    const auto malformed = std::unexpected(TokenError::malformed);
    if (token.size() > k_jwt_max_chars) return malformed;
    const auto dot1 = token.find('.');
    if (dot1 == std::string_view::npos) return malformed;
    const auto dot2 = token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return malformed;

    const auto header_bytes = decode_part(token.substr(0, dot1));
    const auto payload_bytes = decode_part(token.substr(dot1 + 1, dot2 - dot1 - 1));
    if (!header_bytes || !payload_bytes) return malformed;
    const auto header = parse_object(*header_bytes);
    if (!header) return malformed;
    if (auto ok = check_header(*header); !ok) return std::unexpected(ok.error());

    // Only now the signature: "alg":"none" tokens (empty signature) are
    // reported as the algorithm refusal they are.
    const auto signature = decode_part(token.substr(dot2 + 1));
    if (!signature) return malformed;
    const auto expected = crypto::hmac_sha256(key.bytes(), crypto::as_bytes(token.substr(0, dot2)));
    if (!crypto::equal(*signature, expected)) return std::unexpected(TokenError::invalid_signature);

    // The payload is parsed only once it is known to be ours.
    const auto payload = parse_object(*payload_bytes);
    if (!payload) return malformed;
    auto claims = read_claims(*payload);
    if (!claims) return claims;
    if (claims->iss != expected_issuer) return std::unexpected(TokenError::invalid_claims);
    const std::int64_t now_s = to_unix(now);
    if (claims->iat > now_s + k_jwt_iat_leeway.count())
        return std::unexpected(TokenError::invalid_claims);
    if (claims->exp <= now_s) return std::unexpected(TokenError::expired);
    return claims;
}

}  // namespace

JwtKey::JwtKey(std::string_view secret) : JwtKey(crypto::as_bytes(secret)) {}

JwtKey::JwtKey(crypto::ByteView secret) : m_secret(secret) {
    if (secret.size() < k_jwt_min_key_bytes)
        throw std::invalid_argument("JWT key must be at least 32 bytes, got " +
                                    std::to_string(secret.size()));
}

std::string_view to_string(TokenError e) noexcept {
    switch (e) {
        case TokenError::malformed:
            return "malformed";
        case TokenError::unsupported_algorithm:
            return "unsupported_algorithm";
        case TokenError::invalid_signature:
            return "invalid_signature";
        case TokenError::expired:
            return "expired";
        case TokenError::invalid_claims:
            return "invalid_claims";
    }
    return "malformed";  // unreachable for valid enumerators
}

std::string issue_access_token(const JwtKey& key, const AccessClaims& c) {
    if (c.iss.empty() || !is_uuid(c.sub) || !is_uuid(c.did) || !is_uuid(c.sid) || c.iat < 0 ||
        c.exp <= c.iat)
        throw std::invalid_argument("issue_access_token: claims would not verify");
    const json payload = {{"iss", c.iss}, {"sub", c.sub}, {"did", c.did},
                          {"sid", c.sid}, {"iat", c.iat}, {"exp", c.exp}};
    std::string payload_text;
    try {
        payload_text = payload.dump();  // members in name order: did exp iat iss sid sub
    } catch (const json::type_error&) {
        throw std::invalid_argument("issue_access_token: issuer is not valid UTF-8");
    }
    std::string token = encode_text(k_header) + "." + encode_text(payload_text);
    const auto signature = crypto::hmac_sha256(key.bytes(), crypto::as_bytes(token));
    token += ".";
    token += base64url_encode(signature);
    return token;
}

std::expected<AccessClaims, TokenError> verify_access_token(const JwtKey& key,
                                                            std::string_view token, Timestamp now,
                                                            std::string_view expected_issuer) {
    try {
        return verify(key, token, now, expected_issuer);
    } catch (const nlohmann::json::exception&) {
        // Not expected (parsing does not throw, types are checked first); if
        // it happens anyway, the input was bad, not the service.
        return std::unexpected(TokenError::malformed);
    }
}

}  // namespace edgesync::auth
