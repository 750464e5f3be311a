#pragma once

namespace edgesync::crypto {

// Initialises libsodium once per process (thread-safe). Every function in
// shared/crypto calls it first, so callers never have to; after the first call
// it costs one atomic load. Throws edgesync::Error if libsodium cannot start
// (e.g. no usable randomness source): nothing here may run without it.
void ensure_sodium();

}  // namespace edgesync::crypto
