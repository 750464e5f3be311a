#pragma once

#include <cstddef>
#include <optional>

#include "shared/crypto/byte_view.hpp"
#include "shared/crypto/secret_bytes.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::crypto {

// XChaCha20-Poly1305-IETF (crypto_aead_xchacha20poly1305_ietf_*).
// The 24-byte nonce is random per message: safe to draw at random for any
// number of messages under one key, so writers need no counter or coordination.
inline constexpr std::size_t k_aead_key_bytes = 32;
inline constexpr std::size_t k_aead_nonce_bytes = 24;
inline constexpr std::size_t k_aead_tag_bytes = 16;  // ciphertext = plaintext + tag

struct AeadSealed {
    Bytes nonce;       // k_aead_nonce_bytes, random
    Bytes ciphertext;  // plaintext.size() + k_aead_tag_bytes (tag at the end)
};

// A fresh random key.
[[nodiscard]] SecretBytes generate_aead_key();

// Encrypts `plaintext` and authenticates it together with `associated_data`
// (not encrypted, not included in the output: the reader must supply the same
// bytes). Throws std::invalid_argument if the key is not k_aead_key_bytes.
[[nodiscard]] AeadSealed seal(ByteView key, ByteView plaintext, ByteView associated_data);

// The plaintext, or nullopt if anything does not check out: wrong key, wrong
// associated data, a changed bit anywhere, a nonce or ciphertext of the wrong
// size. Never throws for bad (untrusted) input; throws std::invalid_argument
// only for a key of the wrong size, which is a programming error.
[[nodiscard]] std::optional<Bytes> open(ByteView key, ByteView nonce, ByteView ciphertext,
                                        ByteView associated_data);

}  // namespace edgesync::crypto
