#pragma once

#include <cstdint>
#include <string>

#include "shared/util/time.hpp"

namespace edgesync {

// One row of `sync_events`. sequence_number is dense per account: 1, 2, 3, ...
struct SyncEvent {
    std::string id;
    std::string account_id;
    std::string device_id;
    std::string event_type;  // "state.put" | "state.delete"
    std::string state_key;
    std::int64_t sequence_number = 0;
    std::string payload;  // JSON text: {"version":N,"size":N}
    Timestamp created_at{};
};

}  // namespace edgesync
