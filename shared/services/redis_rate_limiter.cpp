#include "shared/services/redis_rate_limiter.hpp"

#include <stdexcept>

#include "shared/db/redis_pool.hpp"
#include "shared/db/redis_script.hpp"
#include "shared/util/error.hpp"

namespace edgesync {
namespace {

// KEYS: counter. ARGV: window ms. Returns {attempts, remaining ms}.
const RedisScript& hit_script() {
    static const RedisScript script(R"lua(
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  ttl = tonumber(ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {n, ttl}
)lua");
    return script;
}

}  // namespace

RateDecision RedisRateLimiter::hit(const std::string& key, const RateLimit& limit) {
    if (limit.max_attempts < 1 || limit.window < std::chrono::seconds(1))
        throw std::invalid_argument("rate limit needs at least 1 attempt per 1 s window");
    const auto window_ms = std::chrono::duration_cast<std::chrono::milliseconds>(limit.window);
    auto redis = m_pool.acquire();
    const auto reply = redis->eval(hit_script(), {key}, {std::to_string(window_ms.count())});
    const auto& parts = reply.as_array();
    if (parts.size() != 2) throw StorageError("rate limit script: unexpected reply");
    RateDecision d;
    d.attempts = parts[0].as_integer();
    d.allowed = d.attempts <= limit.max_attempts;
    if (!d.allowed) {
        // Round up: retrying after a rounded-down wait would still be refused.
        const std::int64_t ms = parts[1].as_integer();
        d.retry_after = std::chrono::seconds(ms <= 1000 ? 1 : (ms + 999) / 1000);
    }
    return d;
}

void RedisRateLimiter::reset(const std::string& key) {
    auto redis = m_pool.acquire();
    redis->command({"DEL", key});
}

}  // namespace edgesync
