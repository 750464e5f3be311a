#pragma once

#include "shared/db/redis_pool.hpp"
#include "shared/repositories/presence_repository.hpp"

namespace edgesync {

// PresenceRepository over Redis: es:{aid}:presence:did holds the JSON
// {"status","last_seen","server"} with a PX expiry. Thread-safe (each call leases
// its own connection). The pool must outlive the repository.
//
// set throws std::invalid_argument for ttl <= 0 or an empty account/device id.
// list SCANs with MATCH es:{aid}:presence:*: on a cluster that touches one slot;
// on a single Redis it walks the whole keyspace (fine for admin and device
// listings, not for a per-request hot path: use get_many with known device ids).
class RedisPresenceRepository final : public PresenceRepository {
  public:
    explicit RedisPresenceRepository(RedisPool& pool) : m_pool(pool) {}

    void set(const std::string& account_id, const Presence& p,
             std::chrono::seconds ttl = k_presence_ttl) override;
    void remove(const std::string& account_id, const std::string& device_id) override;
    [[nodiscard]] std::vector<std::optional<Presence>> get_many(
        const std::string& account_id, const std::vector<std::string>& device_ids) override;
    // Sorted by device id.
    [[nodiscard]] std::vector<Presence> list(const std::string& account_id) override;

  private:
    RedisPool& m_pool;
};

}  // namespace edgesync
