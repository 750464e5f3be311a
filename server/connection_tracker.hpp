#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace edgesync::server {

// A live connection of any kind (HTTP keep-alive, later SSE and WebSocket),
// as the tracker sees it.
class Connection {
  public:
    virtual ~Connection() = default;
    // Begin a graceful close: finish the request in flight (if any), then
    // close; close a stream after a final frame. Called from any thread:
    // implementations post to their own strand.
    virtual void shutdown() = 0;
};

// Counts live connections against SERVER_MAX_CONNECTIONS and reaches all of
// them at shutdown. Thread-safe.
class ConnectionTracker {
  public:
    // Proof of admission; the connection counts until it is destroyed. A
    // session that hands its socket to another (HTTP -> SSE) moves it along.
    class Slot {
      public:
        Slot(Slot&& other) noexcept;
        Slot& operator=(Slot&& other) noexcept;
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        ~Slot();
        // Points shutdown() at another object (the session that took over).
        // False when the tracker is already stopping: shutdown_all() may have
        // missed the new object, so it must shut itself down.
        bool rebind(std::weak_ptr<Connection> connection);

      private:
        friend class ConnectionTracker;
        Slot(ConnectionTracker* tracker, std::uint64_t id) : m_tracker(tracker), m_id(id) {}
        ConnectionTracker* m_tracker;  // null once moved from
        std::uint64_t m_id;
    };

    enum class Refusal { over_limit, stopping };

    explicit ConnectionTracker(std::size_t max_connections);
    ConnectionTracker(const ConnectionTracker&) = delete;
    ConnectionTracker& operator=(const ConnectionTracker&) = delete;

    // A slot, or why not. Over the limit the caller answers 503 and closes;
    // while stopping it just closes.
    [[nodiscard]] std::optional<Slot> admit(std::weak_ptr<Connection> connection,
                                            Refusal* why = nullptr);

    // Refuse new connections and call shutdown() on every live one.
    void shutdown_all();
    // True once every slot is gone; false when `deadline` passed first.
    [[nodiscard]] bool wait_until_empty(std::chrono::steady_clock::time_point deadline);

    [[nodiscard]] std::size_t active() const;
    [[nodiscard]] std::uint64_t admitted_total() const;
    [[nodiscard]] std::uint64_t refused_total() const;

  private:
    void release(std::uint64_t id) noexcept;
    bool rebind(std::uint64_t id, std::weak_ptr<Connection> connection);

    const std::size_t m_max;
    mutable std::mutex m_mutex;
    std::condition_variable m_empty;
    std::map<std::uint64_t, std::weak_ptr<Connection>> m_live;  // guarded
    std::uint64_t m_next_id = 1;                                // guarded
    std::uint64_t m_admitted = 0;                               // guarded
    std::uint64_t m_refused = 0;                                // guarded
    bool m_stopping = false;                                    // guarded
};

}  // namespace edgesync::server
