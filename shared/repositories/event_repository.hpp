#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/models/event.hpp"

namespace edgesync {

// The per-account event log, appended to by StateRepository writes.
// Implementations are thread-safe.
class EventRepository {
public:
    virtual ~EventRepository() = default;

    // Events with sequence_number > after, ascending, at most `limit`.
    [[nodiscard]] virtual std::vector<SyncEvent> list(const std::string& account_id,
                                                      std::int64_t after, std::size_t limit) = 0;
    // accounts.last_seq: the newest sequence number (0 when none).
    [[nodiscard]] virtual std::int64_t latest_seq(const std::string& account_id) = 0;
};

}  // namespace edgesync
