#include "shared/crypto/password.hpp"

#include <sodium.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "shared/crypto/sodium_init.hpp"
#include "shared/util/error.hpp"

namespace edgesync::crypto {
namespace {

constexpr std::string_view k_argon2id_prefix = "$argon2id$";

std::size_t count_code_points(std::string_view utf8) {
    std::size_t n = 0;
    for (const char c : utf8)
        if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++n;  // skip continuation bytes
    return n;
}

// The hash dummy_verify() checks against, made once per limits.
const std::string& dummy_hash(const PwhashLimits& limits) {
    static std::mutex mutex;
    static std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> hashes;
    const std::scoped_lock lock(mutex);
    auto& h = hashes[{limits.opslimit, limits.memlimit}];
    if (h.empty()) h = hash_password("edgesync dummy password, never a real one", limits);
    return h;  // std::map nodes are stable
}

}  // namespace

std::optional<std::string> check_password_policy(std::string_view password) {
    if (count_code_points(password) < k_password_min_chars)
        return "password must be at least " + std::to_string(k_password_min_chars) + " characters";
    if (password.size() > k_password_max_bytes)
        return "password must be at most " + std::to_string(k_password_max_bytes) + " bytes";
    return std::nullopt;
}

std::string hash_password(std::string_view password, const PwhashLimits& limits) {
    ensure_sodium();
    if (!valid_limits(limits)) throw std::invalid_argument("Argon2id limits out of range");
    char out[crypto_pwhash_STRBYTES] = {};
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), limits.opslimit,
                              static_cast<std::size_t>(limits.memlimit),
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        throw Error("Argon2id password hashing failed (out of memory?)");
    return std::string(out);
}

bool verify_password(std::string_view hash, std::string_view password) {
    ensure_sodium();
    // crypto_pwhash_str_verify reads a C string; a hash that is not Argon2id
    // (or too long to be one) would return at once, so pay for a real check.
    if (!hash.starts_with(k_argon2id_prefix) || hash.size() >= crypto_pwhash_STRBYTES ||
        hash.find('\0') != std::string_view::npos) {
        dummy_verify(password);
        return false;
    }
    const std::string terminated(hash);
    return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

bool password_needs_rehash(std::string_view hash, const PwhashLimits& limits) {
    ensure_sodium();
    if (!valid_limits(limits)) throw std::invalid_argument("Argon2id limits out of range");
    const std::string terminated(hash);
    // 0 = same parameters; 1 = different; -1 = not an Argon2id hash at all.
    return crypto_pwhash_str_needs_rehash(terminated.c_str(), limits.opslimit,
                                          static_cast<std::size_t>(limits.memlimit)) != 0;
}

void dummy_verify(std::string_view password, const PwhashLimits& limits) {
    ensure_sodium();
    const auto& hash = dummy_hash(limits);
    // The result is meaningless; the work is the point. (Assigned because
    // libsodium marks the function warn_unused_result.)
    volatile int rc = crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size());
    (void)rc;
}

}  // namespace edgesync::crypto
