#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace edgesync {

// At most `max_attempts` per fixed window of `window`, the window opening with
// the first attempt on a key (DESIGN: Auth, "Login attempts are rate limited").
struct RateLimit {
    std::int64_t max_attempts = 10;        // >= 1
    std::chrono::seconds window{15 * 60};  // >= 1 s
};

struct RateDecision {
    bool allowed = true;
    std::int64_t attempts = 0;  // counted in the current window, this one included
    // When refused: whole seconds until the window closes (>= 1), for
    // Retry-After. 0 when allowed.
    std::chrono::seconds retry_after{0};
};

// Attempt counters, the seam between AuthService and Redis. Abstract so the
// service depends on no Redis type; RedisRateLimiter is the implementation.
// Implementations are thread-safe; infrastructure failures throw
// (ConnectionError / StorageError) — a limiter that cannot count does not
// silently let everything through.
class RateLimiter {
  public:
    virtual ~RateLimiter() = default;

    // Counts one attempt on `key` (refused attempts count too, but never
    // extend the window) and says whether it is within `limit`. Throws
    // std::invalid_argument for a limit below 1 attempt or 1 s.
    [[nodiscard]] virtual RateDecision hit(const std::string& key, const RateLimit& limit) = 0;
    // Forgets the key's attempts (e.g. after a successful login).
    virtual void reset(const std::string& key) = 0;
};

}  // namespace edgesync
