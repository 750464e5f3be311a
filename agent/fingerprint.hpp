#pragma once

#include <string>

#include "shared/crypto/byte_view.hpp"

// Short strings a human compares between two screens, so that a server
// cannot swap keys unnoticed during approval (docs/security.md, Key
// substitution): 10 bytes of keyed BLAKE2b, as five groups of four hex
// digits ("3f2a 9c1b 77de 0a12 55ef"). 80 bits: finding another key with the
// same fingerprint costs about 2^80 key generations.
namespace edgesync::agent {

// Of a device's X25519 public key: `enroll` shows it on the new device,
// `approve` on the approving one, before anything is sealed.
[[nodiscard]] std::string device_fingerprint(crypto::ByteView public_key);

// Of the account key itself (a one-way function of it, revealing nothing
// useful about it): every device holding the same key shows the same string,
// so a user can check that an approved device got the key the others hold.
[[nodiscard]] std::string account_key_fingerprint(crypto::ByteView account_key);

}  // namespace edgesync::agent
