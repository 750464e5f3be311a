#include "tests/support/ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <stdexcept>

namespace edgesync::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct WsClient::Impl {
    net::io_context ioc;
    websocket::stream<beast::tcp_stream> ws{ioc};
    beast::flat_buffer buffer;
    int pings = 0;

    // Runs the io_context until `done` or `timeout`.
    void run(const bool& done, std::chrono::milliseconds timeout) {
        ioc.restart();
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!done && std::chrono::steady_clock::now() < deadline)
            ioc.run_one_for(deadline - std::chrono::steady_clock::now());
        if (!done) {
            beast::get_lowest_layer(ws).close();
            throw std::runtime_error("ws client: timed out");
        }
    }
};

WsClient::WsClient(const std::string& host, std::uint16_t port, std::string_view target,
                   const HttpHeaders& headers)
    : m_impl(std::make_unique<Impl>()) {
    auto& s = *m_impl;
    tcp::resolver resolver(s.ioc);
    beast::get_lowest_layer(s.ws).connect(resolver.resolve(host, std::to_string(port)));
    s.ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
        for (const auto& [n, v] : headers) req.set(n, v);
    }));
    websocket::response_type res;
    beast::error_code ec;
    s.ws.handshake(res, host + ":" + std::to_string(port), std::string(target), ec);
    if (ec)
        throw std::runtime_error("ws client: handshake failed: " + ec.message() + " (status " +
                                 std::to_string(res.result_int()) + ")");
    s.ws.control_callback([&s](websocket::frame_type kind, beast::string_view) {
        if (kind == websocket::frame_type::ping) ++s.pings;
    });
}

WsClient::~WsClient() = default;

void WsClient::send_text(std::string_view text) {
    m_impl->ws.text(true);
    m_impl->ws.write(net::buffer(text.data(), text.size()));
}

void WsClient::send_binary(std::string_view bytes) {
    m_impl->ws.binary(true);
    m_impl->ws.write(net::buffer(bytes.data(), bytes.size()));
}

WsMessage WsClient::read(std::chrono::milliseconds timeout) {
    auto& s = *m_impl;
    bool done = false;
    beast::error_code result;
    s.ws.async_read(s.buffer, [&](beast::error_code ec, std::size_t) {
        result = ec;
        done = true;
    });
    s.run(done, timeout);
    WsMessage m;
    if (result) {
        m.closed = true;
        m.close_code = s.ws.reason().code;
        m.close_reason = std::string(s.ws.reason().reason.data(), s.ws.reason().reason.size());
        return m;
    }
    m.text = beast::buffers_to_string(s.buffer.data());
    s.buffer.consume(s.buffer.size());
    return m;
}

int WsClient::pings() const noexcept { return m_impl->pings; }

bool WsClient::wait_for_ping(std::chrono::milliseconds timeout) {
    auto& s = *m_impl;
    bool done = false;
    s.ws.async_read(s.buffer, [&](beast::error_code, std::size_t) { done = true; });
    s.ioc.restart();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done && s.pings == 0 && std::chrono::steady_clock::now() < deadline)
        s.ioc.run_one_for(deadline - std::chrono::steady_clock::now());
    const bool pinged = s.pings > 0;
    beast::get_lowest_layer(s.ws).close();
    while (!done) s.ioc.run_one();  // let the read end before the stream goes
    return pinged;
}

void WsClient::close() {
    beast::error_code ec;
    m_impl->ws.close(websocket::close_code::normal, ec);
}

int ws_handshake_status(const std::string& host, std::uint16_t port, std::string_view target,
                        const HttpHeaders& headers) {
    // Raw, so that the refusal's status is seen as it is.
    HttpConnection c(host, port);
    std::string req = "GET " + std::string(target) + " HTTP/1.1\r\nHost: " + host +
                      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n";
    for (const auto& [n, v] : headers) req += n + ": " + v + "\r\n";
    c.send_raw(req + "\r\n");
    return c.read_response(/*return_interim=*/true).status;
}

}  // namespace edgesync::test
