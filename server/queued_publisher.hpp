#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "shared/services/publisher.hpp"

namespace edgesync {
class RedisPool;
}

namespace edgesync::server {

// A Publisher for messages sent after a commit (live events): publish() only
// queues, and one background thread sends everything queued in one pipelined
// round trip of PUBLISH commands. A request thus never waits on Redis for its
// live message, and under load many messages share one write — a PUBLISH per
// write was a third of the server's CPU per PUT (bench/README.md).
//
// Order is kept (one FIFO, one sender), so an account's messages leave in seq
// order. Delivery is best effort, as pub/sub is anyway: when Redis fails or
// the queue is full (`capacity` messages) messages are dropped and a warning
// logged; readers catch up from their own seq. publish() never throws.
//
// Thread-safe. The destructor sends what is still queued (one attempt) and
// joins; `pool` must outlive the publisher.
class QueuedPublisher final : public Publisher {
  public:
    explicit QueuedPublisher(RedisPool& pool, std::size_t capacity = 100'000);
    ~QueuedPublisher() override;
    QueuedPublisher(const QueuedPublisher&) = delete;
    QueuedPublisher& operator=(const QueuedPublisher&) = delete;

    void publish(const std::string& channel, const std::string& message) override;

    // Messages dropped so far (queue full or Redis failure).
    [[nodiscard]] std::uint64_t dropped() const;

  private:
    void run();

    RedisPool& m_pool;
    const std::size_t m_capacity;
    mutable std::mutex m_mutex;
    std::condition_variable m_ready;
    std::deque<std::pair<std::string, std::string>> m_queue;  // guarded
    std::uint64_t m_dropped = 0;                              // guarded
    bool m_stop = false;                                      // guarded
    std::thread m_thread;  // last: starts once everything above exists
};

}  // namespace edgesync::server
