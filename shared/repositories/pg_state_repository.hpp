#pragma once

#include <string_view>

#include "shared/repositories/state_repository.hpp"

namespace edgesync {

class PgPool;

// The rejection an es_write_state / es_write_batch `status` other than "ok"
// stands for; StorageError for a status the functions do not return. Shared
// with the server's non-blocking PUT path (server/async_state_put.cpp).
[[nodiscard]] WriteRejection::Reason write_rejection_reason(std::string_view status);

// StateRepository over Postgres. A write is one call of es_write_state
// (migration 000002) and a batch one call of es_write_batch (000003): one
// round trip each, in autocommit, so each is its own transaction. Reads filter
// by account_id. Thread-safe; `pool` must outlive the repository.
//
// A write names a device of its account (a foreign key): an unknown device is
// a StorageError, not a rejection — the caller authenticated it already.
class PgStateRepository final : public StateRepository {
public:
    explicit PgStateRepository(PgPool& pool);

    [[nodiscard]] std::expected<WriteResult, WriteRejection> write(const StateWrite& w) override;
    // Every item must name the same account (std::invalid_argument otherwise).
    [[nodiscard]] std::expected<std::vector<WriteResult>, BatchRejection> write_batch(
        const std::vector<StateWrite>& writes) override;
    [[nodiscard]] std::optional<EncryptedState> get(const std::string& account_id,
                                                    const std::string& key) override;
    [[nodiscard]] ChangesPage changes(const std::string& account_id, std::int64_t after,
                                      std::size_t limit,
                                      std::size_t byte_budget = SIZE_MAX) override;
    [[nodiscard]] std::vector<EncryptedState> list_metadata(const std::string& account_id,
                                                            std::size_t limit,
                                                            std::size_t offset) override;

private:
    PgPool& m_pool;
};

}  // namespace edgesync
