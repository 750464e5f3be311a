#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "shared/crypto/pwhash_limits.hpp"

namespace edgesync::crypto {

// Account passwords (DESIGN: Auth). Argon2id via crypto_pwhash_str: the result
// is a self-describing "$argon2id$v=19$m=...,t=...,p=1$salt$hash" string with
// a random salt, so two hashes of one password differ. Hashing is slow on
// purpose (~0.1 s with the defaults): keep it off event-loop threads.
inline constexpr std::size_t k_password_min_chars = 12;    // Unicode code points
inline constexpr std::size_t k_password_max_bytes = 1024;  // UTF-8 bytes

// nullopt if `password` is acceptable, otherwise a one-line reason fit for
// the user ("password must be at least 12 characters"). Characters are
// counted as UTF-8 code points; the upper limit is in bytes.
[[nodiscard]] std::optional<std::string> check_password_policy(std::string_view password);

// Throws std::invalid_argument for limits libsodium rejects, edgesync::Error
// if the memory cannot be had. Does not apply the policy: check that first.
[[nodiscard]] std::string hash_password(std::string_view password,
                                        const PwhashLimits& limits = interactive_limits());

// True iff `hash` is an Argon2id string made from `password`. A malformed or
// foreign hash is false, after the same work as a real check (no fast path an
// observer could time).
[[nodiscard]] bool verify_password(std::string_view hash, std::string_view password);

// True if `hash` was made with limits other than `limits` (or is malformed):
// after a successful login, hash the password again and store the new hash.
[[nodiscard]] bool password_needs_rehash(std::string_view hash,
                                         const PwhashLimits& limits = interactive_limits());

// Costs what one verify_password() with `limits` costs and reveals nothing. For
// a login with an unknown email, so it takes as long as a wrong password.
// The first call per limits also makes the dummy hash it verifies against.
void dummy_verify(std::string_view password, const PwhashLimits& limits = interactive_limits());

}  // namespace edgesync::crypto
