#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "shared/util/bytes.hpp"
#include "shared/util/time.hpp"

namespace edgesync {

// One row of `accounts`. `email` keeps the letter case it was registered with;
// uniqueness is case-insensitive among accounts that are not deleted.
struct Account {
    std::string id;
    std::string email;
    std::string password_hash;  // Argon2id string (crypto_pwhash_str); never logged
    Timestamp created_at{};
    Timestamp updated_at{};
    std::optional<Timestamp> deleted_at;
    std::optional<Timestamp> disabled_at;
    std::int64_t last_seq = 0;  // per-account event counter (DESIGN: sequencing)
    std::int64_t used_bytes = 0;
    std::optional<std::int64_t> quota_bytes;  // nullopt = unlimited

    [[nodiscard]] bool deleted() const { return deleted_at.has_value(); }
    [[nodiscard]] bool disabled() const { return disabled_at.has_value(); }
    [[nodiscard]] bool active() const { return !deleted() && !disabled(); }
};

struct NewAccount {
    std::string email;
    std::string password_hash;
    std::optional<std::int64_t> quota_bytes;
};

// One row of `account_keys`: the account key wrapped under Argon2id(passphrase).
struct AccountKey {
    std::string account_id;
    Bytes kdf_salt;
    std::uint64_t kdf_opslimit = 0;
    std::uint64_t kdf_memlimit = 0;
    Bytes nonce;
    Bytes wrapped_key;
    std::int32_t key_version = 1;
    Timestamp created_at{};
    Timestamp updated_at{};
};

}  // namespace edgesync
