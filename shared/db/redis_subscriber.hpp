#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shared/config/config.hpp"
#include "shared/db/redis_client.hpp"

namespace edgesync {

// A dedicated Redis connection in pub/sub mode. A subscribed connection can only
// (un)subscribe and read, so it never comes from RedisPool; publish with
// RedisClient::publish.
//
// Not thread-safe: one thread owns it, typically looping on next_message() with a
// short timeout so it can also notice shutdown and (un)subscribe between calls.
// When the connection drops, calls throw ConnectionError; reconnect() restores
// every subscription. Messages published in between are lost (pub/sub is
// fire-and-forget), so the owner must resync from its own cursor (e.g. `seq`).
class RedisSubscriber {
  public:
    struct Message {
        std::string channel;
        std::string payload;  // binary-safe
        std::string pattern;  // the matching pattern for psubscribe; empty otherwise
    };

    // Connects (AUTH as the endpoint says). Throws ConnectionError.
    explicit RedisSubscriber(RedisEndpoint endpoint, RedisOptions options = {});
    ~RedisSubscriber();
    RedisSubscriber(RedisSubscriber&&) noexcept;
    RedisSubscriber& operator=(RedisSubscriber&&) noexcept;
    RedisSubscriber(const RedisSubscriber&) = delete;
    RedisSubscriber& operator=(const RedisSubscriber&) = delete;

    // Each returns once Redis confirmed every name (within the command timeout);
    // messages that arrive meanwhile are kept for next_message(). Lists must not
    // be empty (std::invalid_argument).
    void subscribe(const std::vector<std::string>& channels);
    void unsubscribe(const std::vector<std::string>& channels);
    void psubscribe(const std::vector<std::string>& patterns);
    void punsubscribe(const std::vector<std::string>& patterns);

    // The next message, waiting at most `timeout` (0 = only what is already
    // here); nullopt when none came. A timeout leaves the connection usable.
    [[nodiscard]] std::optional<Message> next_message(std::chrono::milliseconds timeout);

    // Opens a new connection and subscribes again to every channel and pattern
    // held before. Throws ConnectionError when Redis is still unreachable.
    void reconnect();

    // Channels plus patterns subscribed, as Redis last confirmed.
    [[nodiscard]] std::int64_t subscription_count() const noexcept;
    [[nodiscard]] bool is_connected() const noexcept;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;  // null only in a moved-from subscriber (destroy or assign it)
};

}  // namespace edgesync
