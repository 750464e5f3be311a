#include "agent/fingerprint.hpp"

#include <string_view>

#include "shared/crypto/hash.hpp"

namespace edgesync::agent {

namespace {

constexpr std::size_t k_fingerprint_bytes = 10;

// Fixed forever: a device running another version must show the same string.
constexpr std::string_view k_device_context = "edgesync.device-fingerprint.v1";
constexpr std::string_view k_account_context = "edgesync.account-key-fingerprint.v1";

std::string format_groups(const Bytes& digest) {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < k_fingerprint_bytes; ++i) {
        if (i > 0 && i % 2 == 0) out += ' ';
        out += k_hex[digest[i] >> 4];
        out += k_hex[digest[i] & 0x0f];
    }
    return out;
}

}  // namespace

std::string device_fingerprint(crypto::ByteView public_key) {
    // The context is the (public) key of the hash: domain separation from
    // every other BLAKE2b use, not a secret.
    return format_groups(crypto::keyed_hash(crypto::as_bytes(k_device_context), public_key));
}

std::string account_key_fingerprint(crypto::ByteView account_key) {
    // Keyed with the account key itself: a PRF output, so the string tells
    // nothing about the key to whoever sees it.
    return format_groups(crypto::keyed_hash(account_key, crypto::as_bytes(k_account_context)));
}

}  // namespace edgesync::agent
