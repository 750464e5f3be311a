#pragma once

#include "shared/db/redis_pool.hpp"
#include "shared/repositories/session_repository.hpp"

namespace edgesync {

// SessionRepository over Redis (keys in shared/db/redis_keys.hpp):
//   es:{aid}:session:sid            JSON, PX = remaining lifetime (ms, rounded up)
//   es:{aid}:sessions               SET of sids
//   es:{aid}:device:did:sessions    SET of sids
// Index sets expire no earlier than the longest session they hold, so an
// abandoned account's sets cannot live forever. Thread-safe (each call leases
// its own connection). The pool must outlive the repository.
//
// Beyond the interface contract:
//  - create throws std::invalid_argument also when the session id is in use or
//    account_id / id / device_id is empty.
//  - rotate_refresh also sets last_used_at to now and extends the index sets' expiry.
//  - remove_all / remove_by_device end the sessions indexed when they start; a
//    session created concurrently survives (it is a new login).
//  - Index entries of expired sessions are dropped by list (account set only),
//    remove, remove_all, remove_by_device and sweep (both kinds).
class RedisSessionRepository final : public SessionRepository {
  public:
    explicit RedisSessionRepository(RedisPool& pool) : m_pool(pool) {}

    void create(const Session& s) override;
    // create() for many sessions in pipelined batches of `batch` (one round
    // trip each), for seeding tests and benchmarks and for bulk imports. Each
    // session is still stored atomically with its index entries; the batch as
    // a whole is not. Same checks and exceptions as create(), but an id in use
    // is only reported after the rest of its batch has been stored.
    void create_many(const std::vector<Session>& sessions, std::size_t batch = 1000);
    [[nodiscard]] std::optional<Session> get(const std::string& account_id,
                                             const std::string& session_id) override;
    [[nodiscard]] std::vector<Session> list(const std::string& account_id) override;
    [[nodiscard]] bool rotate_refresh(const Session& current, const std::string& new_hash,
                                      Timestamp new_expires_at) override;
    bool remove(const std::string& account_id, const std::string& session_id) override;
    std::size_t remove_all(const std::string& account_id) override;
    std::size_t remove_by_device(const std::string& account_id,
                                 const std::string& device_id) override;
    // One pass of SCAN (MATCH es:{*}*:sessions TYPE set COUNT 1000) covering both
    // kinds of index set. If Redis rehashes during the scan a set may be visited
    // (and counted in index_keys_scanned) twice; stale_removed stays exact.
    SweepStats sweep() override;

  private:
    RedisPool& m_pool;
};

// The JSON stored under es:{aid}:session:sid (timestamps as RFC 3339 strings so
// Lua's cjson, which keeps only 14 significant digits of numbers, cannot round them).
[[nodiscard]] std::string session_to_json(const Session& s);
// Throws StorageError when `json` is not a session document.
[[nodiscard]] Session session_from_json(const std::string& json);

}  // namespace edgesync
