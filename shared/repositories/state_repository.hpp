#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "shared/models/state.hpp"

namespace edgesync {

// Failure of one item in a batch: its index and why. The whole batch is
// rolled back.
struct BatchRejection {
    std::size_t index = 0;
    WriteRejection rejection;
};

// Encrypted state blobs. Every write is one atomic round trip to Postgres (a
// server-side function): check the precondition, upsert or tombstone, take the
// next per-account sequence number, append the event and update usage.
// Implementations are thread-safe.
class StateRepository {
public:
    virtual ~StateRepository() = default;

    [[nodiscard]] virtual std::expected<WriteResult, WriteRejection> write(const StateWrite& w) = 0;
    // All items in one transaction: all succeed or none is applied.
    [[nodiscard]] virtual std::expected<std::vector<WriteResult>, BatchRejection> write_batch(
        const std::vector<StateWrite>& writes) = 0;
    // Tombstones are returned too (deleted() is true).
    [[nodiscard]] virtual std::optional<EncryptedState> get(const std::string& account_id,
                                                            const std::string& key) = 0;
    // States with seq > after, ordered by seq, at most `limit` rows and at most
    // `byte_budget` bytes of blobs (always at least one row when any is left).
    [[nodiscard]] virtual ChangesPage changes(const std::string& account_id, std::int64_t after,
                                              std::size_t limit,
                                              std::size_t byte_budget = SIZE_MAX) = 0;
    // Metadata only (state and nonce left empty), ordered by key, for admin listings.
    [[nodiscard]] virtual std::vector<EncryptedState> list_metadata(const std::string& account_id,
                                                                    std::size_t limit,
                                                                    std::size_t offset) = 0;
};

}  // namespace edgesync
