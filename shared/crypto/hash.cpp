#include "shared/crypto/hash.hpp"

#include <sodium.h>

#include <stdexcept>
#include <string>

#include "shared/crypto/sodium_init.hpp"

namespace edgesync::crypto {

static_assert(k_hash_min_bytes == crypto_generichash_BYTES_MIN);
static_assert(k_hash_max_bytes == crypto_generichash_BYTES_MAX);
static_assert(k_hash_key_min_bytes == crypto_generichash_KEYBYTES_MIN);
static_assert(k_hash_key_max_bytes == crypto_generichash_KEYBYTES_MAX);
static_assert(k_hmac_sha256_bytes == crypto_auth_hmacsha256_BYTES);

namespace {

void check_out_len(std::size_t out_len) {
    if (out_len < k_hash_min_bytes || out_len > k_hash_max_bytes)
        throw std::invalid_argument("BLAKE2b output length must be 16..64 bytes, got " +
                                    std::to_string(out_len));
}

Bytes generichash(ByteView key, ByteView data, std::size_t out_len) {
    ensure_sodium();
    check_out_len(out_len);
    Bytes out(out_len);
    // Only fails for out-of-range lengths, checked above and by the callers.
    if (crypto_generichash(out.data(), out.size(), data.data(), data.size(),
                           key.empty() ? nullptr : key.data(), key.size()) != 0)
        throw std::invalid_argument("crypto_generichash rejected its parameters");
    return out;
}

}  // namespace

Bytes random_bytes(std::size_t n) {
    ensure_sodium();
    Bytes out(n);
    if (n > 0) randombytes_buf(out.data(), out.size());
    return out;
}

Bytes blake2b(ByteView data, std::size_t out_len) { return generichash({}, data, out_len); }

Bytes keyed_hash(ByteView key, ByteView data, std::size_t out_len) {
    if (key.size() < k_hash_key_min_bytes || key.size() > k_hash_key_max_bytes)
        throw std::invalid_argument("keyed_hash key must be 16..64 bytes, got " +
                                    std::to_string(key.size()));
    return generichash(key, data, out_len);
}

Bytes hmac_sha256(ByteView key, ByteView data) {
    ensure_sodium();
    crypto_auth_hmacsha256_state state;
    Bytes out(k_hmac_sha256_bytes);
    // The init/update/final API takes keys of any length (hashing long ones,
    // as RFC 2104 says); crypto_auth_hmacsha256() itself wants exactly 32.
    crypto_auth_hmacsha256_init(&state, key.data(), key.size());
    crypto_auth_hmacsha256_update(&state, data.data(), data.size());
    crypto_auth_hmacsha256_final(&state, out.data());
    sodium_memzero(&state, sizeof state);  // holds the padded key
    return out;
}

bool equal(ByteView a, ByteView b) noexcept {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace edgesync::crypto
