#pragma once

#include "shared/repositories/event_repository.hpp"

namespace edgesync {

class PgPool;

// EventRepository over Postgres (sync_events, accounts.last_seq). Reads only:
// events are appended by PgStateRepository's writes. Thread-safe; `pool` must
// outlive the repository.
class PgEventRepository final : public EventRepository {
public:
    explicit PgEventRepository(PgPool& pool);

    [[nodiscard]] std::vector<SyncEvent> list(const std::string& account_id, std::int64_t after,
                                              std::size_t limit) override;
    // 0 for an unknown account.
    [[nodiscard]] std::int64_t latest_seq(const std::string& account_id) override;

private:
    PgPool& m_pool;
};

}  // namespace edgesync
