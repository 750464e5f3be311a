#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shared/crypto/byte_view.hpp"
#include "shared/crypto/pwhash_limits.hpp"
#include "shared/crypto/secret_bytes.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::crypto {

inline constexpr std::size_t k_kdf_master_key_bytes = 32;  // crypto_kdf_KEYBYTES
inline constexpr std::size_t k_kdf_context_bytes = 8;      // crypto_kdf_CONTEXTBYTES
inline constexpr std::size_t k_kdf_subkey_min_bytes = 16;
inline constexpr std::size_t k_kdf_subkey_max_bytes = 64;
inline constexpr std::size_t k_salt_bytes = 16;            // crypto_pwhash_SALTBYTES
inline constexpr std::size_t k_passphrase_key_bytes = 32;

// One independent key per purpose from a master key (crypto_kdf, BLAKE2b).
// Same inputs -> same key; a different id or context -> an unrelated key, and
// no subkey reveals the master or its siblings. `context` is exactly 8 bytes
// naming the purpose (e.g. "EdgeBlob"). Throws std::invalid_argument for a
// master key that is not 32 bytes, a context that is not 8 bytes, or a length
// outside 16..64.
[[nodiscard]] SecretBytes derive_subkey(ByteView master_key, std::uint64_t subkey_id,
                                        std::string_view context,
                                        std::size_t length = k_kdf_master_key_bytes);

// A fresh random Argon2id salt (k_salt_bytes).
[[nodiscard]] Bytes random_salt();

// A 32-byte key from a passphrase (crypto_pwhash, Argon2id v1.3): deterministic
// for the same passphrase, salt and limits. Slow by design. Throws
// std::invalid_argument for a salt that is not k_salt_bytes or limits libsodium
// rejects (see valid_limits), edgesync::Error if the memory cannot be had.
[[nodiscard]] SecretBytes derive_key_from_passphrase(std::string_view passphrase, ByteView salt,
                                                     const PwhashLimits& limits);

}  // namespace edgesync::crypto
