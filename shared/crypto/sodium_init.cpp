#include "shared/crypto/sodium_init.hpp"

#include <sodium.h>

#include "shared/util/error.hpp"

namespace edgesync::crypto {

void ensure_sodium() {
    // A function-local static is initialised exactly once, even under
    // concurrent first calls; sodium_init() is itself idempotent.
    static const int rc = sodium_init();
    if (rc < 0) throw Error("libsodium failed to initialise (no usable randomness source?)");
}

}  // namespace edgesync::crypto
