#include "shared/services/redis_publisher.hpp"

#include "shared/db/redis_pool.hpp"

namespace edgesync {

void RedisPublisher::publish(const std::string& channel, const std::string& message) {
    auto lease = m_pool.acquire();
    // The receiver count only says how many servers listen right now; a
    // notice nobody hears is fine (sessions are already gone from Redis).
    (void)lease->publish(channel, message);
}

void RedisPublisher::publish_many(const std::string& channel,
                                  const std::vector<std::string>& messages) {
    if (messages.empty()) return;
    std::vector<std::vector<std::string>> commands;
    commands.reserve(messages.size());
    for (const auto& m : messages) commands.push_back({"PUBLISH", channel, m});
    auto lease = m_pool.acquire();
    (void)lease->pipeline(commands);
}

}  // namespace edgesync
