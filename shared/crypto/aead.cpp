#include "shared/crypto/aead.hpp"

#include <sodium.h>

#include <stdexcept>
#include <string>

#include "shared/crypto/sodium_init.hpp"

namespace edgesync::crypto {

static_assert(k_aead_key_bytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(k_aead_nonce_bytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(k_aead_tag_bytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);

namespace {

void check_key(ByteView key) {
    if (key.size() != k_aead_key_bytes)
        throw std::invalid_argument("AEAD key must be 32 bytes, got " + std::to_string(key.size()));
}

}  // namespace

SecretBytes generate_aead_key() {
    ensure_sodium();
    SecretBytes key(k_aead_key_bytes);
    crypto_aead_xchacha20poly1305_ietf_keygen(key.data());
    return key;
}

AeadSealed seal(ByteView key, ByteView plaintext, ByteView associated_data) {
    ensure_sodium();
    check_key(key);
    if (plaintext.size() > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX)
        throw std::invalid_argument("AEAD plaintext too large");
    AeadSealed out{Bytes(k_aead_nonce_bytes), Bytes(plaintext.size() + k_aead_tag_bytes)};
    randombytes_buf(out.nonce.data(), out.nonce.size());
    unsigned long long written = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        out.ciphertext.data(), &written, plaintext.data(), plaintext.size(),
        associated_data.data(), associated_data.size(), nullptr, out.nonce.data(), key.data());
    out.ciphertext.resize(static_cast<std::size_t>(written));
    return out;
}

std::optional<Bytes> open(ByteView key, ByteView nonce, ByteView ciphertext,
                          ByteView associated_data) {
    ensure_sodium();
    check_key(key);
    if (nonce.size() != k_aead_nonce_bytes || ciphertext.size() < k_aead_tag_bytes)
        return std::nullopt;
    Bytes plaintext(ciphertext.size() - k_aead_tag_bytes);
    unsigned long long written = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            plaintext.data(), &written, nullptr, ciphertext.data(), ciphertext.size(),
            associated_data.data(), associated_data.size(), nonce.data(), key.data()) != 0)
        return std::nullopt;  // libsodium wrote nothing on failure
    plaintext.resize(static_cast<std::size_t>(written));
    return plaintext;
}

}  // namespace edgesync::crypto
