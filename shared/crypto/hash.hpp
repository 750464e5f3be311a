#pragma once

#include <cstddef>

#include "shared/crypto/byte_view.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::crypto {

inline constexpr std::size_t k_hash_bytes = 32;          // default BLAKE2b output
inline constexpr std::size_t k_hash_min_bytes = 16;      // crypto_generichash_BYTES_MIN
inline constexpr std::size_t k_hash_max_bytes = 64;      // crypto_generichash_BYTES_MAX
inline constexpr std::size_t k_hash_key_min_bytes = 16;  // crypto_generichash_KEYBYTES_MIN
inline constexpr std::size_t k_hash_key_max_bytes = 64;  // crypto_generichash_KEYBYTES_MAX
inline constexpr std::size_t k_hmac_sha256_bytes = 32;

// `n` bytes from the OS CSPRNG (randombytes_buf). Never fails.
[[nodiscard]] Bytes random_bytes(std::size_t n);

// Unkeyed BLAKE2b (crypto_generichash), e.g. a content hash for change detection.
// Throws std::invalid_argument unless k_hash_min_bytes <= out_len <= k_hash_max_bytes.
[[nodiscard]] Bytes blake2b(ByteView data, std::size_t out_len = k_hash_bytes);

// Keyed BLAKE2b: a PRF / MAC under `key`. Deterministic for the same key and
// data; without the key the output reveals nothing about `data` (state key
// names are made with it, DESIGN: names). Throws std::invalid_argument for a
// key outside 16..64 bytes or out_len outside 16..64.
[[nodiscard]] Bytes keyed_hash(ByteView key, ByteView data, std::size_t out_len = k_hash_bytes);

// HMAC-SHA-256 (RFC 2104) with a key of any length: JWT HS256 signatures.
[[nodiscard]] Bytes hmac_sha256(ByteView key, ByteView data);

// Equality in time that depends only on the lengths, never on the contents
// (for MACs, tokens, hashes). Different lengths compare unequal.
[[nodiscard]] bool equal(ByteView a, ByteView b) noexcept;

}  // namespace edgesync::crypto
