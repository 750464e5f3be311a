#pragma once

#include <string>

#include "shared/util/time.hpp"

namespace edgesync {

// A login session, stored in Redis under es:{aid}:session:{sid} with a TTL equal
// to its remaining lifetime. Only the hash of the refresh token is kept.
struct Session {
    std::string id;
    std::string account_id;
    std::string device_id;
    std::string refresh_hash;  // hex BLAKE2b of the current refresh token
    Timestamp created_at{};
    Timestamp expires_at{};
    Timestamp last_used_at{};
    std::string ip;
    std::string user_agent;
};

}  // namespace edgesync
