#include "shared/crypto/account_key.hpp"

#include <stdexcept>

#include "shared/crypto/hash.hpp"
#include "shared/crypto/kdf.hpp"

namespace edgesync::crypto {

static_assert(k_account_key_bytes == k_kdf_master_key_bytes);
static_assert(k_blob_subkey_context.size() == k_kdf_context_bytes);
static_assert(k_name_subkey_context.size() == k_kdf_context_bytes);

SecretBytes generate_account_key() {
    auto random = random_bytes(k_account_key_bytes);
    SecretBytes key(random);
    wipe(random);
    return key;
}

SecretBytes derive_blob_key(ByteView account_key) {
    return derive_subkey(account_key, k_blob_subkey_id, k_blob_subkey_context);
}

SecretBytes derive_name_key(ByteView account_key) {
    return derive_subkey(account_key, k_name_subkey_id, k_name_subkey_context);
}

std::string state_key_for_path(ByteView name_key, std::string_view path) {
    return base64url_encode(keyed_hash(name_key, as_bytes(path), 32));
}

Bytes blob_associated_data(std::string_view account_id, std::string_view state_key) {
    constexpr std::string_view tag = "edgesync.blob.v1";
    if (account_id.size() > 0xFFFF'FFFFU) throw std::invalid_argument("account id too long");
    Bytes ad(tag.begin(), tag.end());
    ad.push_back(0);
    const auto n = static_cast<std::uint32_t>(account_id.size());
    for (int shift = 24; shift >= 0; shift -= 8) ad.push_back(static_cast<std::uint8_t>(n >> shift));
    ad.insert(ad.end(), account_id.begin(), account_id.end());
    ad.insert(ad.end(), state_key.begin(), state_key.end());
    return ad;
}

}  // namespace edgesync::crypto
