#pragma once

#include <cstdint>

namespace edgesync::crypto {

// Argon2id cost: passes over memory (opslimit) and memory in bytes (memlimit).
// Both password hashing (password.hpp) and passphrase key derivation (kdf.hpp)
// take one. Stored next to what they protect, so they can rise later.
struct PwhashLimits {
    std::uint64_t opslimit = 0;
    std::uint64_t memlimit = 0;

    friend bool operator==(const PwhashLimits&, const PwhashLimits&) = default;
};

// libsodium's presets (crypto_pwhash_*_INTERACTIVE etc.).
[[nodiscard]] PwhashLimits interactive_limits() noexcept;  // 2 passes, 64 MiB: ~0.1 s, logins
[[nodiscard]] PwhashLimits moderate_limits() noexcept;     // 3 passes, 256 MiB: ~0.5 s, recovery
[[nodiscard]] PwhashLimits sensitive_limits() noexcept;    // 4 passes, 1 GiB
// The smallest libsodium accepts (1 pass, 8 KiB). Tests only: no protection.
[[nodiscard]] PwhashLimits minimum_limits() noexcept;

// True if libsodium accepts these limits for Argon2id.
[[nodiscard]] bool valid_limits(const PwhashLimits& limits) noexcept;

}  // namespace edgesync::crypto
