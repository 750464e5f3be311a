#include "shared/crypto/sealed_box.hpp"

#include <sodium.h>

#include <stdexcept>
#include <string>

#include "shared/crypto/sodium_init.hpp"

namespace edgesync::crypto {

static_assert(k_box_public_key_bytes == crypto_box_PUBLICKEYBYTES);
static_assert(k_box_secret_key_bytes == crypto_box_SECRETKEYBYTES);
static_assert(k_box_seal_overhead == crypto_box_SEALBYTES);
static_assert(crypto_scalarmult_BYTES == crypto_box_PUBLICKEYBYTES);

namespace {

void check_size(ByteView key, std::size_t want, const char* what) {
    if (key.size() != want)
        throw std::invalid_argument(std::string(what) + " must be " + std::to_string(want) +
                                    " bytes, got " + std::to_string(key.size()));
}

}  // namespace

BoxKeyPair generate_box_keypair() {
    ensure_sodium();
    BoxKeyPair pair{Bytes(k_box_public_key_bytes), SecretBytes(k_box_secret_key_bytes)};
    crypto_box_keypair(pair.public_key.data(), pair.secret_key.data());
    return pair;
}

BoxKeyPair box_keypair_from_secret(ByteView secret_key) {
    ensure_sodium();
    check_size(secret_key, k_box_secret_key_bytes, "X25519 secret key");
    BoxKeyPair pair{Bytes(k_box_public_key_bytes), SecretBytes(secret_key)};
    // crypto_box_keypair() derives the public key exactly this way.
    if (crypto_scalarmult_base(pair.public_key.data(), pair.secret_key.data()) != 0)
        throw std::invalid_argument("X25519 secret key is not usable");
    return pair;
}

Bytes seal_to(ByteView public_key, ByteView message) {
    ensure_sodium();
    check_size(public_key, k_box_public_key_bytes, "X25519 public key");
    Bytes out(message.size() + k_box_seal_overhead);
    if (crypto_box_seal(out.data(), message.data(), message.size(), public_key.data()) != 0)
        throw std::invalid_argument("X25519 public key is not a valid point (low order)");
    return out;
}

std::optional<SecretBytes> open_sealed(const BoxKeyPair& keypair, ByteView ciphertext) {
    ensure_sodium();
    check_size(keypair.public_key, k_box_public_key_bytes, "X25519 public key");
    check_size(keypair.secret_key, k_box_secret_key_bytes, "X25519 secret key");
    if (ciphertext.size() < k_box_seal_overhead) return std::nullopt;
    SecretBytes message(ciphertext.size() - k_box_seal_overhead);
    if (crypto_box_seal_open(message.data(), ciphertext.data(), ciphertext.size(),
                             keypair.public_key.data(), keypair.secret_key.data()) != 0)
        return std::nullopt;  // the partial output is wiped by SecretBytes
    return message;
}

}  // namespace edgesync::crypto
