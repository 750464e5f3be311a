#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "shared/crypto/byte_view.hpp"
#include "shared/crypto/pwhash_limits.hpp"
#include "shared/crypto/secret_bytes.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::crypto {

// The account key wrapped under a recovery passphrase (DESIGN: recovery):
// key = Argon2id(passphrase, salt, limits); wrapped_key = XChaCha20-Poly1305
// of the account key under it, with the account id as associated data so a
// blob cannot be moved to another account. Maps 1:1 onto `account_keys`
// (models::AccountKey: kdf_salt, kdf_opslimit, kdf_memlimit, nonce, wrapped_key).
struct PassphraseWrappedKey {
    Bytes salt;  // k_salt_bytes
    PwhashLimits limits;
    Bytes nonce;        // k_aead_nonce_bytes
    Bytes wrapped_key;  // account key + 16-byte tag
};

// The most work unwrap will do on limits read back from the server: a hostile
// server must not make a device burn gigabytes of memory.
[[nodiscard]] PwhashLimits max_recovery_limits() noexcept;  // == sensitive_limits()

// Wraps `account_key` (32 bytes) for `account_id`. Slow (one Argon2id run).
// Throws std::invalid_argument for a key that is not 32 bytes or limits
// outside valid_limits() / above max_recovery_limits().
[[nodiscard]] PassphraseWrappedKey wrap_with_passphrase(ByteView account_key,
                                                        std::string_view account_id,
                                                        std::string_view passphrase,
                                                        const PwhashLimits& limits = moderate_limits());

// The account key, or nullopt for a wrong passphrase, another account's blob,
// any change to the blob, or blob fields of the wrong size or limits out of
// range. Never throws for bad input (it comes from the server).
[[nodiscard]] std::optional<SecretBytes> unwrap_with_passphrase(const PassphraseWrappedKey& wrapped,
                                                                std::string_view account_id,
                                                                std::string_view passphrase);

}  // namespace edgesync::crypto
