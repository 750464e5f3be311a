#include "shared/crypto/recovery.hpp"

#include <stdexcept>
#include <string>

#include "shared/crypto/account_key.hpp"
#include "shared/crypto/aead.hpp"
#include "shared/crypto/kdf.hpp"

namespace edgesync::crypto {
namespace {

// Versioned so a future wrapping format can never be confused with this one.
Bytes recovery_ad(std::string_view account_id) {
    Bytes ad = edgesync::to_bytes("edgesync.recovery.v1");
    ad.push_back(0);
    ad.insert(ad.end(), account_id.begin(), account_id.end());
    return ad;
}

bool within_max(const PwhashLimits& limits) {
    const auto max = max_recovery_limits();
    return valid_limits(limits) && limits.opslimit <= max.opslimit && limits.memlimit <= max.memlimit;
}

}  // namespace

PwhashLimits max_recovery_limits() noexcept { return sensitive_limits(); }

PassphraseWrappedKey wrap_with_passphrase(ByteView account_key, std::string_view account_id,
                                          std::string_view passphrase,
                                          const PwhashLimits& limits) {
    if (account_key.size() != k_account_key_bytes)
        throw std::invalid_argument("account key must be 32 bytes, got " +
                                    std::to_string(account_key.size()));
    if (!within_max(limits)) throw std::invalid_argument("recovery Argon2id limits out of range");
    PassphraseWrappedKey out;
    out.salt = random_salt();
    out.limits = limits;
    const auto kek = derive_key_from_passphrase(passphrase, out.salt, limits);
    auto sealed = seal(kek, account_key, recovery_ad(account_id));
    out.nonce = std::move(sealed.nonce);
    out.wrapped_key = std::move(sealed.ciphertext);
    return out;
}

std::optional<SecretBytes> unwrap_with_passphrase(const PassphraseWrappedKey& wrapped,
                                                  std::string_view account_id,
                                                  std::string_view passphrase) {
    if (wrapped.salt.size() != k_salt_bytes || !within_max(wrapped.limits) ||
        wrapped.wrapped_key.size() != k_account_key_bytes + k_aead_tag_bytes)
        return std::nullopt;
    const auto kek = derive_key_from_passphrase(passphrase, wrapped.salt, wrapped.limits);
    auto plain = open(kek, wrapped.nonce, wrapped.wrapped_key, recovery_ad(account_id));
    if (!plain) return std::nullopt;
    SecretBytes key(*plain);
    wipe(*plain);
    return key;
}

}  // namespace edgesync::crypto
