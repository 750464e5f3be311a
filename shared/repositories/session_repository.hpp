#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shared/models/session.hpp"

namespace edgesync {

struct SweepStats {
    std::size_t index_keys_scanned = 0;  // es:{aid}:sessions and device index sets visited
    std::size_t stale_removed = 0;       // index entries whose session had expired
};

// Sessions live in Redis only (losing Redis logs everyone out, nothing more).
// Keys: es:{aid}:session:{sid}, es:{aid}:sessions, es:{aid}:device:{did}:sessions.
// Multi-key changes are atomic (MULTI/EXEC or a Lua script).
// Implementations are thread-safe.
class SessionRepository {
public:
    virtual ~SessionRepository() = default;

    // Stores the session with TTL = expires_at - now. Throws std::invalid_argument
    // when that is <= 0 (a TTL that is never <= 0: Redis would delete the key or
    // keep it forever).
    virtual void create(const Session& s) = 0;
    [[nodiscard]] virtual std::optional<Session> get(const std::string& account_id,
                                                     const std::string& session_id) = 0;
    // Live sessions of the account, pipelined; index entries whose session expired
    // are removed on the way (lazy cleanup).
    [[nodiscard]] virtual std::vector<Session> list(const std::string& account_id) = 0;
    // Replaces the refresh hash iff it still equals `current.refresh_hash`
    // (single-use rotation) and moves the session's end to `new_expires_at`
    // (sliding expiry; the TTL follows). False if the session is gone or the
    // hash differs. `current` is the session as read (account_id, id,
    // device_id, refresh_hash are used). Throws std::invalid_argument when
    // new_expires_at is not in the future.
    [[nodiscard]] virtual bool rotate_refresh(const Session& current, const std::string& new_hash,
                                              Timestamp new_expires_at) = 0;
    // Each returns how many sessions it ended.
    virtual bool remove(const std::string& account_id, const std::string& session_id) = 0;
    virtual std::size_t remove_all(const std::string& account_id) = 0;
    virtual std::size_t remove_by_device(const std::string& account_id,
                                         const std::string& device_id) = 0;
    // SCAN over every account's index sets, dropping entries of expired sessions.
    virtual SweepStats sweep() = 0;
};

}  // namespace edgesync
