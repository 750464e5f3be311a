#pragma once

#include <cstddef>
#include <optional>

#include "shared/crypto/byte_view.hpp"
#include "shared/crypto/secret_bytes.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::crypto {

// Anonymous public-key encryption (crypto_box_seal: X25519 + XSalsa20-Poly1305
// with an ephemeral sender key). Used to wrap the account key to a device:
// anyone may seal to a public key; only the holder of the secret key opens.
// The sender is not authenticated: who may seal is the server's auth's job,
// which key is genuine is the approving user's (see docs/security.md).
inline constexpr std::size_t k_box_public_key_bytes = 32;
inline constexpr std::size_t k_box_secret_key_bytes = 32;
inline constexpr std::size_t k_box_seal_overhead = 48;  // ephemeral pk + tag

// A device's X25519 key pair. public_key goes to the server (devices.public_key);
// secret_key never leaves the device.
struct BoxKeyPair {
    Bytes public_key;        // k_box_public_key_bytes
    SecretBytes secret_key;  // k_box_secret_key_bytes
};

[[nodiscard]] BoxKeyPair generate_box_keypair();

// Rebuilds the pair from a stored secret key (the public key is derived).
// Throws std::invalid_argument for a secret key of the wrong size.
[[nodiscard]] BoxKeyPair box_keypair_from_secret(ByteView secret_key);

// Seals `message` to `public_key`. The result is message.size() + 48 bytes.
// Throws std::invalid_argument for a public key of the wrong size or one
// libsodium refuses (a low-order point, e.g. all zeros): a public key fetched
// from the server is untrusted, so callers that cannot rule that out catch it.
[[nodiscard]] Bytes seal_to(ByteView public_key, ByteView message);

// The message, or nullopt if `ciphertext` was not sealed to this key pair, was
// changed, or is too short. Returns SecretBytes because sealed boxes carry keys
// here. Throws std::invalid_argument only for a key pair of the wrong sizes.
[[nodiscard]] std::optional<SecretBytes> open_sealed(const BoxKeyPair& keypair,
                                                     ByteView ciphertext);

}  // namespace edgesync::crypto
