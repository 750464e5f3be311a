#include "shared/crypto/pwhash_limits.hpp"

#include <sodium.h>

namespace edgesync::crypto {

PwhashLimits interactive_limits() noexcept {
    return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}

PwhashLimits moderate_limits() noexcept {
    return {crypto_pwhash_argon2id_OPSLIMIT_MODERATE, crypto_pwhash_argon2id_MEMLIMIT_MODERATE};
}

PwhashLimits sensitive_limits() noexcept {
    return {crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE, crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE};
}

PwhashLimits minimum_limits() noexcept {
    return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

bool valid_limits(const PwhashLimits& limits) noexcept {
    return limits.opslimit >= crypto_pwhash_argon2id_OPSLIMIT_MIN &&
           limits.opslimit <= crypto_pwhash_argon2id_OPSLIMIT_MAX &&
           limits.memlimit >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
           limits.memlimit <= crypto_pwhash_argon2id_MEMLIMIT_MAX;  // <= SIZE_MAX too
}

}  // namespace edgesync::crypto
