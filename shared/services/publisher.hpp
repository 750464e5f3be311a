#pragma once

#include <string>

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
};

}  // namespace edgesync
