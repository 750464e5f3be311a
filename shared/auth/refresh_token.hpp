#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "shared/auth/jwt.hpp"

namespace edgesync::auth {

// Refresh tokens (DESIGN: Auth; docs/security.md "Tokens and sessions"):
//
//   v1.<account id>.<session id>.<secret>.<tag>
//
// ids in canonical lower-case UUID form, `secret` = base64url(32 random
// bytes), `tag` = base64url(HMAC-SHA-256(refresh MAC key, "v1.<aid>.<sid>.<secret>")),
// the MAC key being HMAC-SHA-256(JWT_SECRET, "edgesync refresh token mac key v1").
// 164 characters, no character outside [A-Za-z0-9_.-].
//
// The ids say which session to load (es:{aid}:session:{sid}); the session
// keeps only refresh_token_hash() of the current token. The tag proves a token
// was minted by us: only a token with a valid tag whose hash is NOT the
// current one counts as reuse of a rotated token (and ends the session), so
// someone who merely knows a session id cannot end it with a made-up token.
inline constexpr std::size_t k_refresh_secret_bytes = 32;
inline constexpr std::size_t k_refresh_token_chars = 164;

struct RefreshTokenIds {
    std::string account_id;
    std::string session_id;
};

// A fresh token (new random secret) for the session. Throws
// std::invalid_argument unless both ids are lower-case UUIDs.
[[nodiscard]] std::string make_refresh_token(const JwtKey& key, std::string_view account_id,
                                             std::string_view session_id);

// The ids of a well-formed token carrying a valid tag under `key`; nullopt for
// anything else. Says nothing about whether the token is the session's
// current one: compare refresh_token_hash() with Session::refresh_hash.
// Never throws on untrusted input (std::bad_alloc aside).
[[nodiscard]] std::optional<RefreshTokenIds> parse_refresh_token(const JwtKey& key,
                                                                 std::string_view token);

// Lower-case hex BLAKE2b-256 of the whole token text (64 characters): what
// Session::refresh_hash stores. A 256-bit random secret needs no slow hash.
[[nodiscard]] std::string refresh_token_hash(std::string_view token);

}  // namespace edgesync::auth
