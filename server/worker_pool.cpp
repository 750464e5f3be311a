#include "server/worker_pool.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <stdexcept>

namespace edgesync::server {

WorkerPool::WorkerPool(Options options) : m_options(options) {
    if (options.threads == 0 || options.queue_capacity == 0)
        throw std::invalid_argument("worker pool needs at least one thread and one queue slot");
    m_threads.reserve(options.threads);
    for (std::size_t i = 0; i < options.threads; ++i) m_threads.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() { stop(false); }

bool WorkerPool::try_submit(Job job) {
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping || m_queue.size() >= m_options.queue_capacity) {
            ++m_rejected;
            return false;
        }
        m_queue.push_back(std::move(job));
    }
    m_ready.notify_one();
    return true;
}

void WorkerPool::stop(bool drain) {
    std::deque<Job> dropped;
    {
        std::lock_guard lock(m_mutex);
        if (!m_stopping) {
            m_stopping = true;
            m_drain = drain;
        }
        if (!m_drain) dropped.swap(m_queue);
    }
    m_ready.notify_all();
    dropped.clear();  // outside the lock: destroying a job may release a connection
    for (auto& t : m_threads)
        if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
}

WorkerPool::Stats WorkerPool::stats() const {
    std::lock_guard lock(m_mutex);
    return {m_options.threads, m_busy, m_queue.size(), m_options.queue_capacity, m_rejected};
}

void WorkerPool::run() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(m_mutex);
            m_ready.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
            if (m_queue.empty() || (m_stopping && !m_drain)) return;
            job = std::move(m_queue.front());
            m_queue.pop_front();
            ++m_busy;
        }
        try {
            job();
        } catch (const std::exception& e) {
            spdlog::error("worker job threw: {}", e.what());
        } catch (...) {
            spdlog::error("worker job threw a non-standard exception");
        }
        job = nullptr;  // release captured resources before counting the thread free
        std::lock_guard lock(m_mutex);
        --m_busy;
    }
}

}  // namespace edgesync::server
