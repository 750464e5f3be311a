#include "server/connection_tracker.hpp"

#include <utility>
#include <vector>

namespace edgesync::server {

ConnectionTracker::Slot::Slot(Slot&& other) noexcept
    : m_tracker(std::exchange(other.m_tracker, nullptr)), m_id(other.m_id) {}

ConnectionTracker::Slot& ConnectionTracker::Slot::operator=(Slot&& other) noexcept {
    if (this != &other) {
        if (m_tracker) m_tracker->release(m_id);
        m_tracker = std::exchange(other.m_tracker, nullptr);
        m_id = other.m_id;
    }
    return *this;
}

ConnectionTracker::Slot::~Slot() {
    if (m_tracker) m_tracker->release(m_id);
}

bool ConnectionTracker::Slot::rebind(std::weak_ptr<Connection> connection) {
    return m_tracker == nullptr || m_tracker->rebind(m_id, std::move(connection));
}

ConnectionTracker::ConnectionTracker(std::size_t max_connections) : m_max(max_connections) {}

std::optional<ConnectionTracker::Slot> ConnectionTracker::admit(
    std::weak_ptr<Connection> connection, Refusal* why) {
    std::lock_guard lock(m_mutex);
    if (m_stopping || m_live.size() >= m_max) {
        ++m_refused;
        if (why) *why = m_stopping ? Refusal::stopping : Refusal::over_limit;
        return std::nullopt;
    }
    const auto id = m_next_id++;
    m_live.emplace(id, std::move(connection));
    ++m_admitted;
    return Slot(this, id);
}

void ConnectionTracker::shutdown_all() {
    std::vector<std::shared_ptr<Connection>> live;
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        for (const auto& [id, weak] : m_live)
            if (auto c = weak.lock()) live.push_back(std::move(c));
    }
    for (const auto& c : live) c->shutdown();
}

bool ConnectionTracker::wait_until_empty(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(m_mutex);
    return m_empty.wait_until(lock, deadline, [&] { return m_live.empty(); });
}

std::size_t ConnectionTracker::active() const {
    std::lock_guard lock(m_mutex);
    return m_live.size();
}

std::uint64_t ConnectionTracker::admitted_total() const {
    std::lock_guard lock(m_mutex);
    return m_admitted;
}

std::uint64_t ConnectionTracker::refused_total() const {
    std::lock_guard lock(m_mutex);
    return m_refused;
}

void ConnectionTracker::release(std::uint64_t id) noexcept {
    bool empty = false;
    {
        std::lock_guard lock(m_mutex);
        m_live.erase(id);
        empty = m_live.empty();
    }
    if (empty) m_empty.notify_all();
}

bool ConnectionTracker::rebind(std::uint64_t id, std::weak_ptr<Connection> connection) {
    std::lock_guard lock(m_mutex);
    if (auto it = m_live.find(id); it != m_live.end()) it->second = std::move(connection);
    return !m_stopping;
}

}  // namespace edgesync::server
