#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "shared/crypto/byte_view.hpp"
#include "shared/crypto/secret_bytes.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::crypto {

// The key hierarchy under the account key (AK), in one place so that every
// client derives the same keys (docs/security.md). The AK itself is never used
// directly: each purpose gets its own subkey via crypto_kdf.
inline constexpr std::size_t k_account_key_bytes = 32;

// Fixed forever: changing one makes existing data unreadable.
inline constexpr std::uint64_t k_blob_subkey_id = 1;
inline constexpr std::string_view k_blob_subkey_context = "EdgeBlob";
inline constexpr std::uint64_t k_name_subkey_id = 2;
inline constexpr std::string_view k_name_subkey_context = "EdgeName";

// 32 random bytes, made once by an account's first device.
[[nodiscard]] SecretBytes generate_account_key();

// The XChaCha20-Poly1305 key for state blobs. Throws std::invalid_argument
// unless `account_key` is 32 bytes (as do the functions below).
[[nodiscard]] SecretBytes derive_blob_key(ByteView account_key);

// The keyed-BLAKE2b key that turns paths into state key names.
[[nodiscard]] SecretBytes derive_name_key(ByteView account_key);

// The server-visible state key for `path`: base64url(keyed BLAKE2b-256(name_key,
// path)), 43 characters. Deterministic, so every device names a file alike;
// reveals neither the path nor its length. `path` must already be in the
// agreed canonical form (relative to the sync root, '/'-separated): the same
// file spelled two ways gets two names.
[[nodiscard]] std::string state_key_for_path(ByteView name_key, std::string_view path);

// The associated data that binds a state blob to where it is stored:
// "edgesync.blob.v1" 0x00 len(account_id) as 4 bytes big-endian, account_id,
// state_key. A blob the server moves to another account or key fails to open.
[[nodiscard]] Bytes blob_associated_data(std::string_view account_id, std::string_view state_key);

}  // namespace edgesync::crypto
