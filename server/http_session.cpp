// The HTTP/1.1 connection: Boost.Beast lives here and nowhere else.
#include "server/http_session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <memory>
#include <optional>

#include "server/connection_tracker.hpp"
#include "server/dispatcher.hpp"
#include "server/response.hpp"
#include "server/server_config.hpp"
#include "server/stream_handoff.hpp"
#include "server/worker_pool.hpp"

namespace edgesync::server {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::size_t k_first_read_bytes = 4096;
constexpr auto k_linger_time = std::chrono::seconds(2);
constexpr std::size_t k_linger_max_bytes = 1 << 20;
constexpr std::string_view k_continue = "HTTP/1.1 100 Continue\r\n\r\n";

bool is_http_error(const beast::error_code& ec) {
    return ec.category() == http::make_error_code(http::error::end_of_stream).category();
}

class HttpSession final : public Connection, public std::enable_shared_from_this<HttpSession> {
  public:
    HttpSession(tcp::socket&& socket, SessionServices& services)
        : m_stream(std::move(socket)), m_services(services) {
        beast::error_code ec;
        const auto peer = m_stream.socket().remote_endpoint(ec);
        if (!ec) m_remote = peer.address().to_string();
        m_stream.socket().set_option(tcp::no_delay(true), ec);  // small responses, no Nagle delay
    }

    void run() {
        net::dispatch(m_stream.get_executor(), [self = shared_from_this()] { self->admit(); });
    }

    void shutdown() override {
        net::post(m_stream.get_executor(), [self = shared_from_this()] { self->on_shutdown(); });
    }

  private:
    enum class State { idle, reading, handling, waiting, writing, closing };

    const HttpLimits& limits() const { return m_services.limits; }
    const Dispatcher& dispatcher() const { return m_services.dispatcher; }

    void admit() {
        ConnectionTracker::Refusal why{};
        m_slot = m_services.tracker.admit(weak_from_this(), &why);
        if (m_slot) return do_wait();
        if (why == ConnectionTracker::Refusal::stopping) return close_now();
        reject(error_response(503, error_code::too_many_connections,
                              "the server is at its connection limit; retry later"));
    }

    // Keep-alive: wait for the first byte of the next request.
    void do_wait() {
        m_state = State::idle;
        m_ctx.reset();
        m_parser.reset();
        if (m_buffer.size() > 0) return do_read_header();  // pipelined request already here
        if (m_stopping) {
            // Shutting down: serve a request that has started to arrive, else close.
            beast::error_code ec;
            if (m_stream.socket().available(ec) == 0 || ec) return close_now();
        }
        m_stream.expires_after(limits().idle_timeout);
        m_stream.async_read_some(m_buffer.prepare(k_first_read_bytes),
                                 [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                     self->on_wait(ec, n);
                                 });
    }

    void on_wait(beast::error_code ec, std::size_t n) {
        m_buffer.commit(n);
        if (ec == net::error::operation_aborted && m_stopping) {
            // Cancelled by on_shutdown, possibly just as a request arrived.
            beast::error_code aec;
            if (m_buffer.size() > 0 || m_stream.socket().available(aec) > 0)
                return do_read_header();
        }
        if (ec) return close_now();  // client closed, idle timeout, or shutdown
        do_read_header();
    }

    void do_read_header() {
        m_state = State::reading;
        m_parser.emplace();
        m_parser->header_limit(static_cast<std::uint32_t>(limits().max_header_bytes));
        // Checked per route once the header is known. Not boost::none: Beast
        // 1.74 compares the Content-Length with the optional, and none is less
        // than every number, so "no limit" would refuse every body.
        m_parser->body_limit(std::numeric_limits<std::uint64_t>::max());
        m_stream.expires_after(limits().read_timeout);
        http::async_read_header(m_stream, m_buffer, *m_parser,
                                [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                    self->on_header(ec);
                                });
    }

    void on_header(beast::error_code ec) {
        if (ec == http::error::header_limit)
            return reject(error_response(
                431, error_code::headers_too_large,
                fmt::format("the request header exceeds {} bytes", limits().max_header_bytes)));
        if (ec == http::error::end_of_stream || ec == http::error::partial_message)
            return close_now();
        if (is_http_error(ec))
            return reject(error_response(400, error_code::malformed_request,
                                         fmt::format("malformed request: {}", ec.message())));
        if (ec) {
            if (ec == beast::error::timeout) spdlog::debug("dropping {}: header timeout", m_remote);
            return close_now();
        }

        const auto& req = m_parser->get();
        m_ctx = std::make_unique<RequestContext>();
        m_ctx->request.method = std::string(req.method_string());
        m_ctx->request.target = std::string(req.target());
        m_ctx->request.remote_address = m_remote;
        for (const auto& field : req)
            m_ctx->request.headers.add(std::string(field.name_string()),
                                       std::string(field.value()));
        m_keep_alive = req.keep_alive();
        dispatcher().start(*m_ctx);
        m_decision = dispatcher().route(*m_ctx);

        const auto length = m_parser->content_length();
        const bool has_body = (length && *length > 0) || m_parser->chunked();
        // Too large is answered first, even for an unknown route: either way the
        // body will not be read, and the client learns the real obstacle.
        if (length && *length > m_decision.max_body_bytes) return reject_too_large();
        if (m_decision.immediate) return respond(std::move(*m_decision.immediate), has_body);
        m_parser->body_limit(m_decision.max_body_bytes);

        const auto expect = req[http::field::expect];
        if (has_body && beast::iequals(expect, "100-continue") && req.version() >= 11) {
            net::async_write(m_stream, net::buffer(k_continue.data(), k_continue.size()),
                             [self = shared_from_this()](beast::error_code wec, std::size_t) {
                                 if (wec) return self->close_now();
                                 self->do_read_body();
                             });
            return;
        }
        do_read_body();
    }

    void do_read_body() {
        if (m_parser->is_done()) return on_body({});
        m_stream.expires_after(limits().body_timeout);
        http::async_read(
            m_stream, m_buffer, *m_parser,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
    }

    void on_body(beast::error_code ec) {
        if (ec == http::error::body_limit) return reject_too_large();
        if (ec == http::error::end_of_stream || ec == http::error::partial_message)
            return close_now();
        if (is_http_error(ec))
            return respond(error_response(400, error_code::malformed_request,
                                          fmt::format("malformed request body: {}", ec.message())),
                           true);
        if (ec) return close_now();  // timeout, reset, shutdown
        m_ctx->request.body = std::move(m_parser->get().body());
        m_keep_alive = m_parser->get().keep_alive();
        handle_request();
    }

    void handle_request() {
        m_state = State::handling;
        if (m_decision.async) {
            // Non-blocking I/O on the I/O threads; the answer comes back to
            // this strand. The context stays put until then (state handling).
            auto strand = m_stream.get_executor();
            return dispatcher().handle_async(
                *m_decision.async, *m_ctx, [self = shared_from_this(), strand](Response response) {
                    net::post(strand, [self, response = std::move(response)]() mutable {
                        self->respond(std::move(response));
                    });
                });
        }
        if (!m_decision.blocking) return respond(dispatcher().handle(*m_ctx));
        // The session owns the context and stays alive through `self`; the
        // strand does not touch it until the result is posted back.
        RequestContext* ctx = m_ctx.get();
        auto strand = m_stream.get_executor();
        const bool queued = m_services.workers.try_submit([self = shared_from_this(), ctx, strand] {
            Response response = self->dispatcher().handle(*ctx);
            net::post(strand, [self, response = std::move(response)]() mutable {
                self->respond(std::move(response));
            });
        });
        if (!queued) {
            auto r = error_response(503, error_code::overloaded, "the server is busy; retry later");
            r.headers.set("Retry-After", "1");
            respond(std::move(r));
        }
    }

    void reject_too_large() {
        respond(error_response(
                    413, error_code::payload_too_large,
                    fmt::format("the request body exceeds {} bytes", m_decision.max_body_bytes)),
                true);
    }

    // An answer before any request was understood (malformed, over the limit).
    void reject(Response response) {
        m_ctx = std::make_unique<RequestContext>();
        m_ctx->request.remote_address = m_remote;
        dispatcher().start(*m_ctx);
        respond(std::move(response), true);
    }

    void respond(Response response, bool force_close = false) {
        if (response.upgrade) return hand_over(std::move(response));
        if (response.deferred) return defer(std::move(response.deferred));
        dispatcher().finish(*m_ctx, response);
        const bool keep = m_keep_alive && !force_close && !response.close && !m_stopping;
        const unsigned version =
            (m_parser && m_parser->is_header_done()) ? m_parser->get().version() : 11;
        m_response = {};
        m_response.version(version == 10 ? 10 : 11);
        m_response.result(static_cast<unsigned>(response.status));
        for (const auto& [name, value] : response.headers) m_response.insert(name, value);
        m_response.body() = std::move(response.body);
        m_response.keep_alive(keep);
        m_response.prepare_payload();
        // Recorded before the write: a client that reads this response and
        // then scrapes /metrics must find it counted.
        dispatcher().complete(*m_ctx, response.status, m_response.body().size());
        m_state = State::writing;
        m_stream.expires_after(limits().write_timeout);
        http::async_write(m_stream, m_response,
                          [self = shared_from_this(), keep](beast::error_code ec, std::size_t) {
                              self->on_write(keep, ec);
                          });
    }

    // The stream seam: the socket, unread bytes and the connection slot go to
    // the stream; this session ends once its last handler returns.
    void hand_over(Response response) {
        auto upgrade = std::move(response.upgrade);
        if (m_stopping || !m_slot) {
            auto r = error_response(503, error_code::unavailable, "the server is shutting down");
            r.headers.set("Retry-After", "1");
            return respond(std::move(r), true);
        }
        dispatcher().finish(*m_ctx, response);
        dispatcher().complete(*m_ctx, response.status, 0);
        m_state = State::closing;
        m_stream.expires_never();
        StreamHandoff handoff{
            m_stream.release_socket(),   beast::buffers_to_string(m_buffer.data()),
            std::move(*m_slot),          std::move(m_ctx->request),
            std::move(response.headers), m_remote};
        m_slot.reset();
        m_buffer.clear();
        upgrade->start(std::move(handoff));
    }

    // A long poll: no worker is held while it waits. The timer's handler
    // keeps the session alive; the answer finds it through a weak pointer.
    void defer(std::shared_ptr<DeferredResponse> deferred) {
        m_state = State::waiting;
        m_deferred = std::move(deferred);
        const auto id = ++m_wait_id;
        m_wait_timer.expires_after(m_deferred->wait());
        m_wait_timer.async_wait([self = shared_from_this(), id](beast::error_code ec) {
            if (ec || id != self->m_wait_id || !self->m_deferred) return;
            self->end_wait(self->m_deferred->on_timeout());
        });
        m_deferred->start(
            [weak = weak_from_this(), strand = m_stream.get_executor(), id](Response r) {
                net::post(strand, [weak, id, r = std::move(r)]() mutable {
                    auto self = weak.lock();
                    if (self && id == self->m_wait_id) self->end_wait(std::move(r));
                });
            });
        if (m_stopping && m_deferred) end_wait(m_deferred->on_timeout());
    }

    void end_wait(Response response) {
        if (!m_deferred) return;  // answered already
        const auto deferred = std::move(m_deferred);
        m_deferred.reset();
        m_wait_timer.cancel();
        deferred->cancel();
        respond(std::move(response));
    }

    void on_write(bool keep, beast::error_code ec) {
        m_response = {};
        if (ec) return close_now();
        if (!keep) return linger_close();
        do_wait();
    }

    // Half-close, then read and drop what the client still sends for a moment:
    // closing with unread input would reset the connection, and the client
    // could lose the response we just wrote (e.g. a 413 before the body).
    void linger_close() {
        m_state = State::closing;
        beast::error_code ec;
        m_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        if (ec) return close_now();
        m_stream.expires_after(k_linger_time);
        do_linger();
    }

    void do_linger() {
        m_stream.async_read_some(net::buffer(m_drain),
                                 [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                     self->m_lingered += n;
                                     if (ec || self->m_lingered > k_linger_max_bytes)
                                         return self->close_now();
                                     self->do_linger();
                                 });
    }

    void close_now() {
        m_state = State::closing;
        beast::error_code ec;
        m_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        m_stream.close();
    }

    void on_shutdown() {
        m_stopping = true;
        // Idle keep-alive connections close; a request in flight finishes and
        // its response goes out with Connection: close. Cancel rather than
        // close: if the wait for a request already completed with its first
        // bytes (its handler queued behind this one), that request is in
        // flight and must still be read; a wait still pending ends with
        // operation_aborted and on_wait closes. A long poll answers its current
        // (empty) page now.
        if (m_state == State::waiting && m_deferred) return end_wait(m_deferred->on_timeout());
        if (m_state != State::idle) return;
        beast::error_code ec;
        m_stream.socket().cancel(ec);
    }

    beast::tcp_stream m_stream;
    beast::flat_buffer m_buffer;
    SessionServices& m_services;
    std::optional<ConnectionTracker::Slot> m_slot;  // empty for a refused connection
    std::optional<http::request_parser<http::string_body>> m_parser;  // the request being read
    std::unique_ptr<RequestContext> m_ctx;  // the request being handled; stable address
    RouteDecision m_decision;
    http::response<http::string_body> m_response;  // alive until its async_write completes
    std::shared_ptr<DeferredResponse> m_deferred;  // set while a long poll waits
    net::steady_timer m_wait_timer{m_stream.get_executor()};
    std::uint64_t m_wait_id = 0;  // tells a stale wait's completion from the current one
    std::string m_remote;
    State m_state = State::idle;
    bool m_keep_alive = false;
    bool m_stopping = false;
    std::size_t m_lingered = 0;
    std::array<char, 4096> m_drain{};
};

}  // namespace

void start_http_session(boost::asio::ip::tcp::socket socket, SessionServices& services) {
    std::make_shared<HttpSession>(std::move(socket), services)->run();
}

}  // namespace edgesync::server
