#pragma once

#include <string>
#include <vector>

namespace edgesync {

// Fire-and-forget pub/sub publishing, the seam between the services and Redis.
// Abstract so the services depend on no Redis type; RedisPublisher
// (redis_publisher.hpp) is the implementation.
//
// Contract: implementations are thread-safe. Delivery is best effort (nobody
// may be listening; pub/sub keeps nothing), but a failure to hand the message
// to the broker throws (ConnectionError / StorageError) rather than being lost
// silently.
class Publisher {
  public:
    virtual ~Publisher() = default;
    virtual void publish(const std::string& channel, const std::string& message) = 0;
    // Every message on one channel, in order. Implementations may send them
    // in one round trip; by default, one publish() each.
    virtual void publish_many(const std::string& channel,
                              const std::vector<std::string>& messages) {
        for (const auto& m : messages) publish(channel, m);
    }
};

}  // namespace edgesync
