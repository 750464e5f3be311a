#include "shared/db/redis_pool.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "shared/util/error.hpp"

namespace edgesync {

RedisPool::Lease::~Lease() {
    if (m_pool != nullptr && m_client) m_pool->release(std::move(m_client));
}

RedisPool::RedisPool(RedisEndpoint endpoint, Options options)
    : m_endpoint(std::move(endpoint)), m_options(options) {
    if (m_options.max_size == 0) throw std::invalid_argument("RedisPool max_size must be >= 1");
    m_idle.reserve(m_options.max_size);  // release() never allocates
}

RedisPool::Lease RedisPool::acquire() {
    std::unique_lock lock(m_mutex);
    const bool ready = m_freed.wait_for(lock, m_options.acquire_timeout, [&] {
        return !m_idle.empty() || m_open < m_options.max_size;
    });
    if (!ready)
        throw ConnectionError(fmt::format("Redis pool: all {} connections busy for {} ms",
                                          m_options.max_size, m_options.acquire_timeout.count()));
    if (!m_idle.empty()) {
        auto client = std::move(m_idle.back());
        m_idle.pop_back();
        return Lease(this, std::move(client));
    }
    ++m_open;  // reserve the slot, then connect without holding the lock
    lock.unlock();
    try {
        return Lease(this, std::make_unique<RedisClient>(m_endpoint, m_options.client));
    } catch (...) {
        lock.lock();
        --m_open;
        lock.unlock();
        m_freed.notify_one();
        throw;
    }
}

void RedisPool::release(std::unique_ptr<RedisClient> client) noexcept {
    {
        const std::lock_guard lock(m_mutex);
        // A broken client stays pooled: it reconnects on its next call.
        m_idle.push_back(std::move(client));
    }
    m_freed.notify_one();
}

std::size_t RedisPool::open_count() const {
    const std::lock_guard lock(m_mutex);
    return m_open;
}

std::size_t RedisPool::idle_count() const {
    const std::lock_guard lock(m_mutex);
    return m_idle.size();
}

}  // namespace edgesync
