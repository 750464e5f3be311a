#include "server/event_feed.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

#include "server/event_json.hpp"
#include "server/worker_pool.hpp"
#include "shared/repositories/event_repository.hpp"

namespace edgesync::server {

bool FeedCursor::on_live(std::int64_t seq) noexcept {
    if (seq <= m_cursor) return false;
    if (!m_reading && !m_want_read && seq == m_cursor + 1) {
        m_cursor = seq;
        return true;
    }
    m_seen = std::max(m_seen, seq);
    m_want_read = true;
    return false;
}

void FeedCursor::restart(std::int64_t after) noexcept {
    m_cursor = after;
    m_seen = 0;
    m_covered = 0;
    m_want_read = true;
    m_reading = false;  // the read in flight is ignored when it ends
    ++m_generation;
}

FeedCursor::Read FeedCursor::begin_read() noexcept {
    m_reading = true;
    m_want_read = false;
    m_covered = m_seen;  // committed before the read starts: it will see them
    return {m_cursor, m_generation};
}

void FeedCursor::abort_read() noexcept {
    m_reading = false;
    m_want_read = true;
}

std::vector<SyncEvent> FeedCursor::end_read(const Read& read, std::vector<SyncEvent> page,
                                            std::size_t limit) {
    if (read.generation != m_generation) return {};
    m_reading = false;
    const bool full = page.size() >= limit;
    std::erase_if(page, [&](const SyncEvent& e) { return e.sequence_number <= m_cursor; });
    if (!page.empty()) m_cursor = page.back().sequence_number;
    if (full) {
        m_want_read = true;
    } else if (m_seen > m_cursor) {
        if (m_seen > m_covered)
            m_want_read = true;  // hinted during the read: maybe not visible to it yet
        else
            m_seen = m_cursor;  // hinted before it, yet not in the log: a bogus hint
    }
    return page;
}

bool read_events_async(WorkerPool& workers, EventRepository& events, std::string account_id,
                       std::int64_t after, std::size_t limit, PageDone done) {
    return workers.try_submit([&events, account_id = std::move(account_id), after, limit,
                               done = std::move(done)]() mutable {
        std::optional<std::vector<SyncEvent>> page;
        try {
            page = events.list(account_id, after, limit);
        } catch (const std::exception& e) {
            spdlog::warn("event stream: reading events of account {} failed: {}", account_id,
                         e.what());
        }
        done(std::move(page));
    });
}

std::string sse_event_frame(const LiveEvent& e) {
    return fmt::format("id: {}\nevent: {}\ndata: {}\n\n", e.seq, e.event_type,
                       event_json(e).dump());
}

std::string_view sse_heartbeat_frame() noexcept { return ": keep-alive\n\n"; }

}  // namespace edgesync::server
