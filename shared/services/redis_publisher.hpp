#pragma once

#include <string>

#include "shared/services/publisher.hpp"

namespace edgesync {

class RedisPool;

// Publisher over Redis PUBLISH, one pooled connection per call. Thread-safe;
// the pool must outlive the publisher. PUBLISH is not resent after a dropped
// connection (RedisClient's rule for non-idempotent commands), so a failure
// throws ConnectionError and the caller decides; services let it through.
class RedisPublisher final : public Publisher {
  public:
    explicit RedisPublisher(RedisPool& pool) : m_pool(pool) {}

    void publish(const std::string& channel, const std::string& message) override;
    // One pipelined round trip for all of them.
    void publish_many(const std::string& channel,
                      const std::vector<std::string>& messages) override;

  private:
    RedisPool& m_pool;
};

}  // namespace edgesync
