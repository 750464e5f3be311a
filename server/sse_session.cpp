// An SSE stream on plain Asio: nothing of Beast is needed to write text.
#include "server/sse_session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <memory>
#include <string>

#include "server/event_feed.hpp"
#include "server/event_json.hpp"
#include "server/stream_handoff.hpp"

namespace edgesync::server {

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::size_t k_shrink_above = 64 * 1024;  // give back a catch-up's write buffer

std::string response_header(const Headers& extra) {
    std::string h =
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: text/event-stream\r\n"
        "Cache-Control: no-cache\r\n"
        "Connection: close\r\n"
        "X-Accel-Buffering: no\r\n";
    for (const auto& [name, value] : extra) h += name + ": " + value + "\r\n";
    h += "\r\n";
    return h;
}

class SseSession final : public Connection,
                         public LiveSink,
                         public std::enable_shared_from_this<SseSession> {
  public:
    SseSession(StreamHandoff&& handoff, LiveStreamOptions options)
        : m_socket(std::move(handoff.socket)),
          m_slot(std::move(handoff.slot)),
          m_options(std::move(options)),
          m_feed(m_options.after),
          m_header(response_header(handoff.headers)) {}

    void run() {
        if (!m_slot.rebind(weak_from_this())) return close();  // shutting down already
        // Subscribed before the header goes out: a client that has the header
        // misses no hint.
        m_subscription = m_options.hub.subscribe(m_options.scope, weak_from_this());
        enqueue(std::move(m_header));
        pump();
        do_read();
        arm_heartbeat();
    }

    // Connection: any thread.
    void shutdown() override {
        post([](SseSession& s) { s.close(); });
    }

    // LiveSink: the hub's thread; post only.
    void on_event(const LiveEvent& e) override {
        post([e](SseSession& s) { s.on_live(e); });
    }
    void on_presence(const PresenceChange&) override {}
    void on_resync() override {
        post([](SseSession& s) {
            s.m_feed.on_resync();
            s.pump();
        });
    }
    void on_revoked() override {
        post([](SseSession& s) { s.close(); });
    }

  private:
    template <typename F>
    void post(F f) {
        net::post(m_socket.get_executor(),
                  [self = shared_from_this(), f = std::move(f)]() mutable { f(*self); });
    }

    void on_live(const LiveEvent& e) {
        if (m_closed) return;
        if (m_feed.on_live(e.seq)) enqueue(sse_event_frame(e));
        pump();
    }

    // Starts a catch-up read when one is wanted and the queue has room for a page.
    void pump() {
        if (m_closed || !m_feed.wants_read() || m_queued_bytes > m_options.max_queue_bytes / 4)
            return;
        const auto read = m_feed.begin_read();
        const bool queued = read_events_async(
            m_options.workers, m_options.events, m_options.scope.account_id, read.after,
            m_options.page_size, [weak = weak_from_this(), read](auto page) {
                if (auto self = weak.lock())
                    self->post([read, page = std::move(page)](SseSession& s) mutable {
                        s.on_page(read, std::move(page));
                    });
            });
        // The pool is full: try again at the next event or heartbeat.
        if (!queued) m_feed.abort_read();
    }

    void on_page(const FeedCursor::Read& read, std::optional<std::vector<SyncEvent>> page) {
        if (m_closed) return;
        if (!page) return close();  // Postgres failed: the client resumes from its last id
        for (const auto& e : m_feed.end_read(read, std::move(*page), m_options.page_size))
            if (!enqueue(sse_event_frame(to_live_event(e)))) return;
        pump();
    }

    // False when the client was too slow and the stream closed.
    bool enqueue(std::string frame) {
        if (m_closed) return false;
        if (m_queued_bytes + frame.size() > m_options.max_queue_bytes) {
            spdlog::info("event stream of account {}: client too slow, closing",
                         m_options.scope.account_id);
            close();
            return false;
        }
        m_queued_bytes += frame.size();
        m_queue.push_back(std::move(frame));
        do_write();
        return true;
    }

    void do_write() {
        if (m_writing || m_closed || m_queue.empty()) return;
        m_writing = true;
        m_out.clear();
        for (auto& frame : m_queue) m_out += frame;
        m_queue.clear();
        m_write_timer.expires_after(m_options.write_timeout);
        m_write_timer.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec) self->close();  // the client stopped reading
        });
        net::async_write(
            m_socket, net::buffer(m_out),
            [self = shared_from_this()](error_code ec, std::size_t) { self->on_write(ec); });
    }

    void on_write(error_code ec) {
        m_writing = false;
        m_write_timer.cancel();
        if (ec) return close();
        m_queued_bytes -= m_out.size();
        if (m_out.capacity() > k_shrink_above) std::string().swap(m_out);
        if (!m_queue.empty()) return do_write();
        pump();
    }

    // Nothing is expected from the client; a read notices it going away.
    void do_read() {
        m_socket.async_read_some(net::buffer(m_drain),
                                 [self = shared_from_this()](error_code ec, std::size_t) {
                                     if (ec) return self->close();
                                     self->do_read();
                                 });
    }

    void arm_heartbeat() {
        m_heartbeat.expires_after(m_options.heartbeat);
        m_heartbeat.async_wait([self = shared_from_this()](error_code ec) {
            if (ec || self->m_closed) return;
            if (!self->enqueue(std::string(sse_heartbeat_frame()))) return;
            self->pump();
            self->arm_heartbeat();
        });
    }

    void close() {
        if (m_closed) return;
        m_closed = true;
        m_subscription.reset();
        m_heartbeat.cancel();
        m_write_timer.cancel();
        error_code ec;
        m_socket.shutdown(tcp::socket::shutdown_both, ec);
        m_socket.close(ec);
        m_queue.clear();
    }

    tcp::socket m_socket;
    ConnectionTracker::Slot m_slot;
    LiveStreamOptions m_options;
    FeedCursor m_feed;
    std::string m_header;  // until run() queues it
    LiveHub::Subscription m_subscription;
    net::steady_timer m_heartbeat{m_socket.get_executor()};
    net::steady_timer m_write_timer{m_socket.get_executor()};
    std::deque<std::string> m_queue;  // frames not yet handed to a write
    std::string m_out;                // the frames of the write in flight
    std::size_t m_queued_bytes = 0;   // m_queue plus m_out
    bool m_writing = false;
    bool m_closed = false;
    std::array<char, 512> m_drain{};
};

}  // namespace

void start_sse_session(StreamHandoff handoff, LiveStreamOptions options) {
    std::make_shared<SseSession>(std::move(handoff), std::move(options))->run();
}

}  // namespace edgesync::server
