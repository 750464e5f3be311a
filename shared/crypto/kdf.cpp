#include "shared/crypto/kdf.hpp"

#include <sodium.h>

#include <stdexcept>
#include <string>

#include "shared/crypto/hash.hpp"
#include "shared/crypto/sodium_init.hpp"
#include "shared/util/error.hpp"

namespace edgesync::crypto {

static_assert(k_kdf_master_key_bytes == crypto_kdf_KEYBYTES);
static_assert(k_kdf_context_bytes == crypto_kdf_CONTEXTBYTES);
static_assert(k_kdf_subkey_min_bytes == crypto_kdf_BYTES_MIN);
static_assert(k_kdf_subkey_max_bytes == crypto_kdf_BYTES_MAX);
static_assert(k_salt_bytes == crypto_pwhash_SALTBYTES);

SecretBytes derive_subkey(ByteView master_key, std::uint64_t subkey_id, std::string_view context,
                          std::size_t length) {
    ensure_sodium();
    if (master_key.size() != k_kdf_master_key_bytes)
        throw std::invalid_argument("KDF master key must be 32 bytes, got " +
                                    std::to_string(master_key.size()));
    if (context.size() != k_kdf_context_bytes)
        throw std::invalid_argument("KDF context must be exactly 8 bytes, got '" +
                                    std::string(context) + "'");
    if (length < k_kdf_subkey_min_bytes || length > k_kdf_subkey_max_bytes)
        throw std::invalid_argument("KDF subkey length must be 16..64 bytes, got " +
                                    std::to_string(length));
    SecretBytes subkey(length);
    crypto_kdf_derive_from_key(subkey.data(), subkey.size(), subkey_id, context.data(),
                               master_key.data());
    return subkey;
}

Bytes random_salt() { return random_bytes(k_salt_bytes); }

SecretBytes derive_key_from_passphrase(std::string_view passphrase, ByteView salt,
                                       const PwhashLimits& limits) {
    ensure_sodium();
    if (salt.size() != k_salt_bytes)
        throw std::invalid_argument("Argon2id salt must be 16 bytes, got " +
                                    std::to_string(salt.size()));
    if (!valid_limits(limits))
        throw std::invalid_argument("Argon2id limits out of range (opslimit " +
                                    std::to_string(limits.opslimit) + ", memlimit " +
                                    std::to_string(limits.memlimit) + ")");
    SecretBytes key(k_passphrase_key_bytes);
    if (crypto_pwhash(key.data(), key.size(), passphrase.data(), passphrase.size(), salt.data(),
                      limits.opslimit, static_cast<std::size_t>(limits.memlimit),
                      crypto_pwhash_ALG_ARGON2ID13) != 0)
        throw Error("Argon2id key derivation failed (out of memory?)");
    return key;
}

}  // namespace edgesync::crypto
