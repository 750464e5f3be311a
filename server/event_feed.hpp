#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "server/live_hub.hpp"
#include "shared/models/event.hpp"

namespace edgesync {
class EventRepository;
}  // namespace edgesync

namespace edgesync::server {

class WorkerPool;

// What an event stream (SSE, WebSocket) needs besides its socket. The
// references must outlive every stream (App owns them).
struct LiveStreamOptions {
    LiveHub& hub;
    EventRepository& events;
    WorkerPool& workers;
    LiveScope scope;
    std::int64_t after = 0;                       // send events with seq > after
    std::chrono::milliseconds heartbeat{15'000};  // SERVER_STREAM_HEARTBEAT
    std::chrono::milliseconds write_timeout{30'000};
    std::size_t page_size = 500;            // events per catch-up read
    std::size_t max_queue_bytes = 1 << 20;  // then the client is too slow: close
};

// The order of a stream's events: catch-up pages from Postgres, then live
// events, in seq order, without duplicates or gaps. Pure logic, no I/O: its
// owner runs the reads it asks for (on the worker pool) and sends what it
// returns. Not thread-safe: used on its stream's strand only.
class FeedCursor {
  public:
    struct Read {
        std::int64_t after = 0;
        std::uint64_t generation = 0;
    };

    // Wants a first read from `after` (closes the race between the starting
    // seq and the subscription).
    explicit FeedCursor(std::int64_t after) noexcept : m_cursor(after) {}

    // The seq of the last event handed out.
    [[nodiscard]] std::int64_t cursor() const noexcept { return m_cursor; }

    // A live event. True: send it now (it is the next one and no read is
    // pending); the cursor moves to it. False for a duplicate, or for an event
    // that is ahead of the cursor (a gap) or arrives during a read: those ask
    // for a read instead.
    [[nodiscard]] bool on_live(std::int64_t seq) noexcept;
    // Hints may have been lost: read from the cursor.
    void on_resync() noexcept { m_want_read = true; }
    // Start over from `after` (a WebSocket hello); a read in flight is ignored.
    void restart(std::int64_t after) noexcept;

    // True when a read should start now.
    [[nodiscard]] bool wants_read() const noexcept { return m_want_read && !m_reading; }
    [[nodiscard]] bool reading() const noexcept { return m_reading; }
    [[nodiscard]] Read begin_read() noexcept;
    // The read could not start (worker pool full): want it again later.
    void abort_read() noexcept;
    // The page of at most `limit` events read for `read`: returns those to
    // send, in order, and moves the cursor past them. A full page, or a live
    // seq beyond the new cursor hinted while the read ran, asks for another
    // read. A hint the read should have seen but did not (no such row) is
    // forgotten rather than read for forever.
    [[nodiscard]] std::vector<SyncEvent> end_read(const Read& read, std::vector<SyncEvent> page,
                                                  std::size_t limit);

  private:
    std::int64_t m_cursor;
    std::int64_t m_seen = 0;     // highest live seq seen while it could not be sent
    std::int64_t m_covered = 0;  // m_seen when the current read began
    bool m_want_read = true;
    bool m_reading = false;
    std::uint64_t m_generation = 0;  // bumped by restart()
};

// Reads events of `account_id` with seq > after (at most `limit`) on the
// worker pool and passes them to `done` on the worker thread; nullopt when
// Postgres failed (logged). False, and `done` is never called, when the pool
// refuses the job.
using PageDone = std::function<void(std::optional<std::vector<SyncEvent>>)>;
[[nodiscard]] bool read_events_async(WorkerPool& workers, EventRepository& events,
                                     std::string account_id, std::int64_t after, std::size_t limit,
                                     PageDone done);

// One SSE message: "id: <seq>\nevent: <event_type>\ndata: <event_json>\n\n".
[[nodiscard]] std::string sse_event_frame(const LiveEvent& e);
// The heartbeat comment ": keep-alive\n\n".
[[nodiscard]] std::string_view sse_heartbeat_frame() noexcept;

}  // namespace edgesync::server
