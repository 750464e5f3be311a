#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "shared/crypto/byte_view.hpp"
#include "shared/crypto/secret_bytes.hpp"
#include "shared/util/time.hpp"

namespace edgesync::auth {

// Access tokens (DESIGN: Auth): compact JWS, HMAC-SHA-256 only ("HS256" is
// pinned: the header is never trusted to choose the algorithm). Format and
// rules are in docs/security.md, "Tokens and sessions".

inline constexpr std::size_t k_jwt_min_key_bytes = 32;  // as Config::jwt_secret() enforces
inline constexpr std::chrono::seconds k_access_token_ttl{15 * 60};
// Tolerated clock difference between the server that issued a token and the
// one checking it, applied to `iat` only: a token may have been issued up to
// this far in "the future". `exp` has no leeway (expired means exp <= now), so
// skew never lengthens a token's life beyond what the issuer granted.
inline constexpr std::chrono::seconds k_jwt_iat_leeway{30};
// Longer input is refused before any decoding (ours are ~400 characters).
inline constexpr std::size_t k_jwt_max_chars = 4096;

// The HS256 secret (JWT_SECRET, Config::jwt_secret()). Wiped on destruction.
// Also the root of the refresh-token MAC key (refresh_token.hpp). Copyable.
class JwtKey {
  public:
    // Throws std::invalid_argument when shorter than k_jwt_min_key_bytes.
    explicit JwtKey(std::string_view secret);
    explicit JwtKey(crypto::ByteView secret);

    [[nodiscard]] crypto::ByteView bytes() const noexcept { return m_secret.view(); }

  private:
    crypto::SecretBytes m_secret;  // >= k_jwt_min_key_bytes
};

// The claims EdgeSync puts in (and requires of) every access token.
struct AccessClaims {
    std::string iss;       // issuer, compared exactly
    std::string sub;       // account id (UUID)
    std::string did;       // device id (UUID)
    std::string sid;       // session id (UUID)
    std::int64_t iat = 0;  // issued at, seconds since the Unix epoch (JWT NumericDate)
    std::int64_t exp = 0;  // expires at, seconds since the Unix epoch; > iat

    friend bool operator==(const AccessClaims&, const AccessClaims&) = default;
};

// Why a token was refused. The names are stable (logs, metrics, tests).
enum class TokenError {
    malformed,  // not three base64url parts of JSON objects, or an unknown header member
    unsupported_algorithm,  // header alg is not exactly "HS256" ("none", "HS512", "RS256", ...)
    invalid_signature,      // the MAC does not match under our key
    expired,                // exp <= now
    invalid_claims,         // a claim missing or of the wrong type, non-UUID ids, wrong
                            // issuer, exp <= iat, or iat more than k_jwt_iat_leeway ahead
};

[[nodiscard]] std::string_view to_string(TokenError e) noexcept;

// header `{"alg":"HS256","typ":"JWT"}`, payload with exactly the six claims.
// Throws std::invalid_argument if the claims would not verify (empty or
// non-UTF-8 issuer, non-UUID ids, exp <= iat): we never mint a token we would
// refuse.
[[nodiscard]] std::string issue_access_token(const JwtKey& key, const AccessClaims& claims);

// Checks, in order: shape and size, header (alg exactly HS256; typ, when
// present, "JWT"; nothing else), signature (constant-time compare), payload
// JSON, claim types, issuer == expected_issuer, iat, exp. Unknown payload
// claims are ignored. Untrusted input never throws (std::bad_alloc aside).
[[nodiscard]] std::expected<AccessClaims, TokenError> verify_access_token(
    const JwtKey& key, std::string_view token, Timestamp now, std::string_view expected_issuer);

}  // namespace edgesync::auth
