#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "shared/util/bytes.hpp"
#include "shared/util/time.hpp"

namespace edgesync {

// One row of `encrypted_states`. The server sees only ciphertext: `key` is
// opaque to it and `state` is an AEAD blob. A tombstone keeps its row with
// `state` and `nonce` cleared and `deleted_at` set.
struct EncryptedState {
    std::string id;
    std::string account_id;
    std::string device_id;  // the device that wrote this version
    std::string key;
    Bytes state;
    Bytes nonce;
    std::int64_t version = 0;  // 1 on create, +1 per write (tombstones included)
    std::int64_t seq = 0;      // the account sequence number of the last write
    std::int64_t size = 0;     // bytes of `state`
    Timestamp created_at{};
    Timestamp updated_at{};
    std::optional<Timestamp> deleted_at;

    [[nodiscard]] bool deleted() const { return deleted_at.has_value(); }
};

// What a write expects to find. A write whose expectation fails is a conflict
// and changes nothing.
struct Precondition {
    enum class Kind {
        must_not_exist,  // If-None-Match: *  (a tombstone counts as not existing)
        version_is,      // If-Match: "V"
    };
    Kind kind = Kind::must_not_exist;
    std::int64_t version = 0;  // for version_is

    static Precondition create() { return {Kind::must_not_exist, 0}; }
    static Precondition if_version(std::int64_t v) { return {Kind::version_is, v}; }
};

struct PutState {
    Bytes state;
    Bytes nonce;
};
struct DeleteState {};

struct StateWrite {
    std::string account_id;
    std::string device_id;
    std::string key;
    Precondition precondition;
    std::variant<PutState, DeleteState> op;
};

struct WriteResult {
    std::int64_t version = 0;
    std::int64_t seq = 0;
};

// Why a write did not happen. `current` is the state as it is now (tombstones
// included), so a client can merge without another round trip.
struct WriteRejection {
    enum class Reason {
        conflict,        // precondition failed
        not_found,       // update/delete of a key that never existed
        quota_exceeded,  // the account would exceed quota_bytes
        account_missing, // account deleted or disabled
        device_revoked,  // the writing device is revoked (or not the account's)
    };
    Reason reason = Reason::conflict;
    std::optional<EncryptedState> current;
};

// A page of the changes feed: the latest version of each key changed after a
// sequence number, ordered by seq.
struct ChangesPage {
    std::vector<EncryptedState> states;
    std::int64_t next = 0;  // pass as `after` to get the following page
    bool more = false;
};

}  // namespace edgesync
