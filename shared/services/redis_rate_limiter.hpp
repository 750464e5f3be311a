#pragma once

#include <string>

#include "shared/services/rate_limiter.hpp"

namespace edgesync {

class RedisPool;

// RateLimiter over Redis: one counter key per limited thing, INCR plus PEXPIRE
// on the first attempt in one Lua script (a crash between the two cannot leave
// a counter without expiry; a counter found without one gets the window
// again). One pooled connection per call; thread-safe; the pool must outlive
// the limiter. Keys come from shared/db/redis_keys.hpp.
class RedisRateLimiter final : public RateLimiter {
  public:
    explicit RedisRateLimiter(RedisPool& pool) : m_pool(pool) {}

    [[nodiscard]] RateDecision hit(const std::string& key, const RateLimit& limit) override;
    void reset(const std::string& key) override;

  private:
    RedisPool& m_pool;
};

}  // namespace edgesync
