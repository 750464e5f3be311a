#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "shared/config/config.hpp"
#include "shared/db/redis_client.hpp"

namespace edgesync {

// A bounded, thread-safe pool of RedisClient connections for worker threads.
// Connections open lazily, up to max_size; acquire() waits for a free one.
// The pool must outlive every Lease it hands out.
class RedisPool {
  public:
    struct Options {
        std::size_t max_size = 8;                         // >= 1
        std::chrono::milliseconds acquire_timeout{5000};  // wait for a free connection
        RedisOptions client;
    };

    // Exclusive use of one connection; returns it to the pool on destruction.
    class Lease {
      public:
        Lease(Lease&& other) noexcept
            : m_pool(std::exchange(other.m_pool, nullptr)), m_client(std::move(other.m_client)) {}
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease();

        [[nodiscard]] RedisClient& operator*() const noexcept { return *m_client; }
        [[nodiscard]] RedisClient* operator->() const noexcept { return m_client.get(); }

      private:
        friend class RedisPool;
        Lease(RedisPool* pool, std::unique_ptr<RedisClient> client)
            : m_pool(pool), m_client(std::move(client)) {}
        RedisPool* m_pool;                      // null once moved from
        std::unique_ptr<RedisClient> m_client;  // null once moved from
    };

    // Opens no connection yet. Throws std::invalid_argument if max_size is 0.
    RedisPool(RedisEndpoint endpoint, Options options);
    RedisPool(const RedisPool&) = delete;
    RedisPool& operator=(const RedisPool&) = delete;

    // An idle connection, else a new one while fewer than max_size are open,
    // else waits up to acquire_timeout. Throws ConnectionError when Redis is
    // unreachable or no connection became free in time.
    [[nodiscard]] Lease acquire();

    [[nodiscard]] std::size_t max_size() const noexcept { return m_options.max_size; }
    [[nodiscard]] std::size_t open_count() const;  // idle + leased
    [[nodiscard]] std::size_t idle_count() const;
    [[nodiscard]] const RedisEndpoint& endpoint() const noexcept { return m_endpoint; }

  private:
    void release(std::unique_ptr<RedisClient> client) noexcept;

    const RedisEndpoint m_endpoint;
    const Options m_options;
    mutable std::mutex m_mutex;
    std::condition_variable m_freed;                   // signalled when a slot or client frees up
    std::vector<std::unique_ptr<RedisClient>> m_idle;  // guarded by m_mutex
    std::size_t m_open = 0;                            // guarded; idle + leased + being opened
};

}  // namespace edgesync
