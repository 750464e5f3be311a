// The WebSocket stream: the only TU with Beast's websocket headers.
#include "server/websocket_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "server/event_feed.hpp"
#include "server/event_json.hpp"
#include "server/stream_frames.hpp"
#include "server/stream_handoff.hpp"

namespace edgesync::server {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using nlohmann::json;

constexpr std::size_t k_max_message_bytes = 64 * 1024;
constexpr auto k_handshake_timeout = std::chrono::seconds(5);
constexpr auto k_close_revoked = static_cast<websocket::close_code>(4001);  // application range

std::string presence_frame(const PresenceChange& p) {
    return json{{"type", "presence"},
                {"device_id", p.device_id},
                {"status", p.status},
                {"at", format_rfc3339(p.at)}}
        .dump();
}

const SharedFrame& pong_frame() {
    static const SharedFrame frame = make_frame(json{{"type", "pong"}}.dump());
    return frame;
}

class WebSocketSession final : public Connection,
                               public LiveSink,
                               public std::enable_shared_from_this<WebSocketSession> {
  public:
    WebSocketSession(StreamHandoff&& handoff, LiveStreamOptions options)
        : m_ws(std::move(handoff.socket)),
          m_slot(std::move(handoff.slot)),
          m_options(std::move(options)),
          m_feed(m_options.after),
          m_response_headers(std::move(handoff.headers)) {
        auto& req = m_upgrade.emplace();
        req.method_string(handoff.request.method);
        req.target(handoff.request.target);
        req.version(11);
        for (const auto& [name, value] : handoff.request.headers) req.insert(name, value);
    }

    void run() {
        // False: shutdown began during the hand-over; close 1001 once accepted.
        m_stop_after_accept = !m_slot.rebind(weak_from_this());
        beast::get_lowest_layer(m_ws).expires_never();  // the websocket timeouts rule
        websocket::stream_base::timeout timeout{};
        timeout.handshake_timeout = k_handshake_timeout;
        timeout.idle_timeout = 2 * m_options.heartbeat;
        timeout.keep_alive_pings = true;  // a ping after `heartbeat` of silence
        m_ws.set_option(timeout);
        m_ws.set_option(websocket::stream_base::decorator(
            [headers = m_response_headers](websocket::response_type& res) {
                for (const auto& [name, value] : headers) res.set(name, value);
            }));
        m_ws.read_message_max(k_max_message_bytes);
        m_ws.async_accept(
            *m_upgrade, [self = shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
    }

    // Connection: any thread.
    void shutdown() override {
        post([](WebSocketSession& s) { s.close(websocket::close_code::going_away); });
    }

    // LiveSink: the hub's thread or a fan-out lane; never blocks. The hub
    // calls on_encoded_event (the message is built once for every stream of
    // the instance). Events and presence are dispatched: on a lane (an I/O
    // thread) they run inline when the strand is free, elsewhere are posted.
    void on_event(const LiveEvent& e) override { on_encoded_event(encode_event(e)); }
    void on_encoded_event(const SharedEvent& e) override {
        net::dispatch(m_ws.get_executor(), [self = shared_from_this(), e] { self->on_live(e); });
    }
    void on_presence(const PresenceChange& p) override {
        net::dispatch(m_ws.get_executor(), [self = shared_from_this(), p] {
            if (self->m_open) self->enqueue(make_frame(presence_frame(p)));
        });
    }
    void on_resync() override {
        post([](WebSocketSession& s) {
            s.m_feed.on_resync();
            s.pump();
        });
    }
    void on_revoked() override {
        post([](WebSocketSession& s) { s.close({k_close_revoked, "revoked"}); });
    }

  private:
    template <typename F>
    void post(F f) {
        net::post(m_ws.get_executor(),
                  [self = shared_from_this(), f = std::move(f)]() mutable { f(*self); });
    }

    void on_accept(beast::error_code ec) {
        m_upgrade.reset();
        if (ec || m_closing) return teardown();  // Beast answered a bad upgrade itself
        m_open = true;
        m_ws.text(true);
        if (m_stop_after_accept) return close(websocket::close_code::going_away);
        m_subscription = m_options.hub.subscribe(m_options.scope, weak_from_this());
        pump();
        do_read();
    }

    void on_live(const SharedEvent& e) {
        if (!m_open) return;
        if (m_feed.on_live(e->event.seq)) enqueue(ws_frame_of(e));
        pump();
    }

    void pump() {
        if (!m_open || !m_feed.wants_read() || m_queued_bytes > m_options.max_queue_bytes / 4)
            return;
        const auto read = m_feed.begin_read();
        const bool queued = read_events_async(
            m_options.workers, m_options.events, m_options.scope.account_id, read.after,
            m_options.page_size, [weak = weak_from_this(), read](auto page) {
                if (auto self = weak.lock())
                    self->post([read, page = std::move(page)](WebSocketSession& s) mutable {
                        s.on_page(read, std::move(page));
                    });
            });
        if (!queued) m_feed.abort_read();  // the pool is full: at the next event or hello
    }

    void on_page(const FeedCursor::Read& read, std::optional<std::vector<SyncEvent>> page) {
        if (!m_open) return;
        if (!page) return close(websocket::close_code::internal_error);
        for (const auto& e : m_feed.end_read(read, std::move(*page), m_options.page_size))
            if (!enqueue(make_frame(ws_event_message(to_live_event(e))))) return;
        pump();
    }

    bool enqueue(SharedFrame frame) {
        if (!m_open) return false;
        if (m_queued_bytes + frame->size() > m_options.max_queue_bytes) {
            spdlog::info("websocket of account {}: client too slow, closing",
                         m_options.scope.account_id);
            close(websocket::close_code::try_again_later);
            return false;
        }
        m_queued_bytes += frame->size();
        m_queue.push_back(std::move(frame));
        do_write();
        return true;
    }

    void do_write() {
        if (m_writing || !m_open || m_queue.empty()) return;
        m_writing = true;
        m_out = std::move(m_queue.front());
        m_queue.pop_front();
        m_ws.async_write(
            net::buffer(*m_out),
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
    }

    void on_write(beast::error_code ec) {
        m_writing = false;
        if (ec) return teardown();
        if (!m_open) return;  // closing: the queue is gone
        m_queued_bytes -= m_out->size();
        m_out.reset();
        if (!m_queue.empty()) return do_write();
        pump();
    }

    void do_read() {
        m_ws.async_read(m_in, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->on_read(ec);
        });
    }

    void on_read(beast::error_code ec) {
        // Closed by the client, by us (the read ends after our close frame),
        // an idle or too-big client (Beast already sent its close frame), or a
        // broken connection: nothing more to do but let go.
        if (ec) return teardown();
        const std::string text = beast::buffers_to_string(m_in.data());
        m_in.consume(m_in.size());
        if (!m_ws.got_text())
            close(websocket::close_code::unknown_data);  // 1003: binary is not spoken
        else
            handle_message(text);
        do_read();  // after a close frame too: the read ends with the close handshake
    }

    void handle_message(const std::string& text) {
        const auto msg = json::parse(text, nullptr, /*allow_exceptions=*/false);
        const auto type = msg.is_object() && msg.contains("type") && msg["type"].is_string()
                              ? msg["type"].get<std::string>()
                              : std::string();
        if (type == "ping") {
            enqueue(pong_frame());
            return;
        }
        if (type == "hello") {
            const auto after = msg.find("after");
            if (after == msg.end()) return;  // live from now, as without a hello
            if (!after->is_number_integer() || after->get<std::int64_t>() < 0)
                return close(websocket::close_code::policy_error);
            m_feed.restart(after->get<std::int64_t>());
            pump();
            return;
        }
        close(websocket::close_code::policy_error);
    }

    void close(websocket::close_reason why) {
        if (m_closing) return;
        m_closing = true;
        m_subscription.reset();
        m_queue.clear();
        m_queued_bytes = 0;
        if (!m_open) return teardown();  // still in the handshake
        m_open = false;
        m_ws.async_close(why, [self = shared_from_this()](beast::error_code) {
            // The pending read ends too; the socket closes with the session.
        });
    }

    // The connection is over without a close handshake to wait for.
    void teardown() {
        m_open = false;
        m_closing = true;
        m_subscription.reset();
        m_queue.clear();
        beast::error_code ec;
        beast::get_lowest_layer(m_ws).socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
        beast::get_lowest_layer(m_ws).close();
    }

    websocket::stream<beast::tcp_stream> m_ws;
    ConnectionTracker::Slot m_slot;
    LiveStreamOptions m_options;
    FeedCursor m_feed;
    Headers m_response_headers;
    std::optional<http::request<http::empty_body>> m_upgrade;  // until accepted
    LiveHub::Subscription m_subscription;
    beast::flat_buffer m_in;
    std::deque<SharedFrame> m_queue;  // messages not yet written (shared with other streams)
    SharedFrame m_out;                // the message being written while m_writing
    std::size_t m_queued_bytes = 0;
    bool m_writing = false;
    bool m_open = false;     // accepted and not closing: frames may be sent
    bool m_closing = false;  // close() or teardown() ran
    bool m_stop_after_accept = false;
};

}  // namespace

void start_websocket_session(StreamHandoff handoff, LiveStreamOptions options) {
    std::make_shared<WebSocketSession>(std::move(handoff), std::move(options))->run();
}

}  // namespace edgesync::server
