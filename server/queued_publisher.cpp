#include "server/queued_publisher.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <vector>

#include "shared/db/redis_pool.hpp"

namespace edgesync::server {

namespace {
// Commands per pipeline: bounds one write and one reply read.
constexpr std::size_t k_max_batch = 1024;
// How long the first message of a batch may wait for others: far below what
// a live reader notices, long enough to share a round trip under load.
constexpr std::chrono::milliseconds k_linger{2};
}  // namespace

QueuedPublisher::QueuedPublisher(RedisPool& pool, std::size_t capacity)
    : m_pool(pool), m_capacity(capacity), m_thread([this] { run(); }) {}

QueuedPublisher::~QueuedPublisher() {
    {
        const std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_ready.notify_one();
    m_thread.join();
}

void QueuedPublisher::publish(const std::string& channel, const std::string& message) {
    bool was_empty = false;
    {
        const std::lock_guard lock(m_mutex);
        if (m_queue.size() >= m_capacity) {
            if (m_dropped++ % 1000 == 0)
                spdlog::warn("live publish queue full ({} messages); dropping ({} so far)",
                             m_capacity, m_dropped);
            return;
        }
        was_empty = m_queue.empty();
        m_queue.emplace_back(channel, message);
    }
    if (was_empty) m_ready.notify_one();
}

std::uint64_t QueuedPublisher::dropped() const {
    const std::lock_guard lock(m_mutex);
    return m_dropped;
}

void QueuedPublisher::run() {
    std::vector<std::vector<std::string>> commands;
    for (;;) {
        commands.clear();
        bool stopping = false;
        {
            std::unique_lock lock(m_mutex);
            m_ready.wait(lock, [this] { return m_stop || !m_queue.empty(); });
            if (!m_stop) {
                // Let messages gather: one pipeline for many beats a round trip
                // (and a wake-up) each. Publishers do not notify meanwhile.
                lock.unlock();
                std::this_thread::sleep_for(k_linger);
                lock.lock();
            }
            stopping = m_stop;
            if (m_queue.empty()) return;  // stopping, nothing left
            while (!m_queue.empty() && commands.size() < k_max_batch) {
                auto& [channel, message] = m_queue.front();
                commands.push_back({"PUBLISH", std::move(channel), std::move(message)});
                m_queue.pop_front();
            }
        }
        try {
            auto lease = m_pool.acquire();
            (void)lease->pipeline(commands);
        } catch (const std::exception& e) {
            // PUBLISH is never resent (it may have gone out): these are lost,
            // and readers recover from their seq.
            {
                const std::lock_guard lock(m_mutex);
                m_dropped += commands.size();
            }
            spdlog::warn("live publish of {} message(s) failed: {}", commands.size(), e.what());
            if (stopping) {
                // Do not wait on a broken Redis once per remaining batch at exit.
                const std::lock_guard lock(m_mutex);
                m_dropped += m_queue.size();
                m_queue.clear();
                return;
            }
        }
    }
}

}  // namespace edgesync::server
