// An SSE stream on plain Asio: nothing of Beast is needed to write text.
#include "server/sse_session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "server/event_feed.hpp"
#include "server/event_json.hpp"
#include "server/stream_frames.hpp"
#include "server/stream_handoff.hpp"

namespace edgesync::server {

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

// Frames per gather write (Asio passes at most 64 buffers to one sendmsg).
constexpr std::size_t k_max_buffers = 64;

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

// The heartbeat, allocated once for every stream.
const SharedFrame& heartbeat_frame() {
    static const SharedFrame frame = make_frame(std::string(sse_heartbeat_frame()));
    return frame;
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
          m_header(make_frame(response_header(handoff.headers))) {}

    void run() {
        if (!m_slot.rebind(weak_from_this())) return close();  // shutting down already
        // Writes are tried at once (write_some) and only what the socket does
        // not take goes to an async write: that needs a non-blocking socket.
        error_code ec;
        m_socket.non_blocking(true, ec);
        if (ec) return close();
        // Subscribed before the header goes out: a client that has the header
        // misses no hint.
        m_subscription = m_options.hub.subscribe(m_options.scope, weak_from_this());
        enqueue(std::move(m_header));
        flush();
        pump();
        do_read();
        arm_heartbeat();
    }

    // Connection: any thread.
    void shutdown() override {
        post([](SseSession& s) { s.close(); });
    }

    // LiveSink: the hub's thread or a fan-out lane; never blocks. The hub
    // calls on_encoded_event; on_event is there for a caller with a bare event.
    // Dispatched: on a lane (an I/O thread) it runs inline when the strand is
    // free, elsewhere it is posted.
    void on_event(const LiveEvent& e) override { on_encoded_event(encode_event(e)); }
    void on_encoded_event(const SharedEvent& e) override {
        net::dispatch(m_socket.get_executor(),
                      [self = shared_from_this(), e] { self->on_live(e); });
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

    void on_live(const SharedEvent& e) {
        if (m_closed) return;
        if (m_feed.on_live(e->event.seq) && enqueue(sse_frame_of(e))) flush();
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
            if (!enqueue(make_frame(sse_event_frame(to_live_event(e))))) return;
        flush();  // the page's frames go out together
        pump();
    }

    // Queues a frame; flush() sends. False when the client was too slow and
    // the stream closed.
    bool enqueue(SharedFrame frame) {
        if (m_closed) return false;
        if (m_queued_bytes + frame->size() > m_options.max_queue_bytes) {
            spdlog::info("event stream of account {}: client too slow, closing",
                         m_options.scope.account_id);
            close();
            return false;
        }
        m_queued_bytes += frame->size();
        m_queue.push_back(std::move(frame));
        return true;
    }

    // The queued frames from the unwritten part of the first, at most
    // k_max_buffers of them (one gather write).
    std::size_t gather(std::array<net::const_buffer, k_max_buffers>& buffers,
                       std::size_t first) const {
        std::size_t n = 0;
        for (auto i = first; i < m_queue.size() && n < buffers.size(); ++i, ++n)
            buffers[n] = i == 0 ? net::buffer(*m_queue[i]) + m_front_written
                                : net::buffer(*m_queue[i]);
        return n;
    }

    // Bytes written from the front of the queue: drops the frames done.
    void consume(std::size_t bytes) {
        m_queued_bytes -= bytes;
        while (bytes > 0) {
            const auto left = m_queue.front()->size() - m_front_written;
            if (bytes < left) {
                m_front_written += bytes;
                return;
            }
            bytes -= left;
            m_front_written = 0;
            m_queue.pop_front();
        }
    }

    // Sends what is queued: first straight into the socket (the usual case,
    // a live frame into an empty socket buffer: no async operation, no timer,
    // no completion handler); what the socket does not take goes to one
    // async gather write under the write timeout.
    void flush() {
        if (m_writing || m_closed) return;
        std::array<net::const_buffer, k_max_buffers> buffers;
        while (!m_queue.empty()) {
            const auto n = gather(buffers, 0);
            error_code ec;
            const auto written =
                m_socket.write_some(std::span<const net::const_buffer>(buffers.data(), n), ec);
            if (ec == net::error::would_block || ec == net::error::try_again) break;
            if (ec) return close();
            const bool all = written == net::buffer_size(std::span(buffers.data(), n));
            consume(written);
            if (!all) break;  // the socket buffer is full
        }
        if (!m_queue.empty()) write_async();
    }

    void write_async() {
        m_writing = true;
        m_async_buffers.clear();
        std::array<net::const_buffer, k_max_buffers> chunk;
        for (std::size_t first = 0; first < m_queue.size();) {
            const auto n = gather(chunk, first);
            m_async_buffers.insert(m_async_buffers.end(), chunk.begin(),
                                   chunk.begin() + static_cast<std::ptrdiff_t>(n));
            first += n;
        }
        m_write_timer.expires_after(m_options.write_timeout);
        m_write_timer.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec) self->close();  // the client stopped reading
        });
        // Frames queued meanwhile go behind these; the deque keeps these alive.
        net::async_write(m_socket, m_async_buffers,
                         [self = shared_from_this()](error_code ec, std::size_t written) {
                             self->on_write(ec, written);
                         });
    }

    void on_write(error_code ec, std::size_t written) {
        m_writing = false;
        m_write_timer.cancel();
        if (ec || m_closed) {
            close();
            m_queue.clear();
            return;
        }
        consume(written);  // every frame that was queued when the write began
        m_async_buffers.clear();
        if (m_async_buffers.capacity() > k_max_buffers)  // give back a catch-up's
            std::vector<net::const_buffer>().swap(m_async_buffers);
        flush();
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
            if (!self->enqueue(heartbeat_frame())) return;
            self->flush();
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
        if (!m_writing) m_queue.clear();  // else an async write still points into it
    }

    tcp::socket m_socket;
    ConnectionTracker::Slot m_slot;
    LiveStreamOptions m_options;
    FeedCursor m_feed;
    SharedFrame m_header;  // until run() queues it
    LiveHub::Subscription m_subscription;
    net::steady_timer m_heartbeat{m_socket.get_executor()};
    net::steady_timer m_write_timer{m_socket.get_executor()};
    // Frames not yet fully written, in order; the first has m_front_written
    // bytes out. While m_writing, the frames queued when the async write
    // began are its own (m_async_buffers point into them).
    std::deque<SharedFrame> m_queue;
    std::size_t m_front_written = 0;
    std::size_t m_queued_bytes = 0;  // unwritten bytes in m_queue
    std::vector<net::const_buffer> m_async_buffers;
    bool m_writing = false;
    bool m_closed = false;
    std::array<char, 512> m_drain{};
};

}  // namespace

void start_sse_session(StreamHandoff handoff, LiveStreamOptions options) {
    std::make_shared<SseSession>(std::move(handoff), std::move(options))->run();
}

}  // namespace edgesync::server
