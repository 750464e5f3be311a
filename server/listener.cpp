#include "server/listener.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>

#include "shared/util/error.hpp"

namespace edgesync::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Listener::Listener(net::io_context& ioc, const tcp::endpoint& endpoint, SessionServices& services)
    : m_ioc(ioc),
      m_strand(net::make_strand(ioc)),
      m_acceptor(m_strand),
      m_backoff(m_strand),
      m_services(services) {
    const auto fail = [&](const char* what, const boost::system::error_code& ec) {
        return Error(fmt::format("cannot {} {}:{}: {}", what, endpoint.address().to_string(),
                                 endpoint.port(), ec.message()));
    };
    boost::system::error_code ec;
    m_acceptor.open(endpoint.protocol(), ec);
    if (ec) throw fail("open a socket for", ec);
    m_acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (ec) throw fail("set SO_REUSEADDR on", ec);
    m_acceptor.bind(endpoint, ec);
    if (ec) throw fail("listen on", ec);
    m_acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) throw fail("listen on", ec);
}

tcp::endpoint Listener::local_endpoint() const { return m_acceptor.local_endpoint(); }

void Listener::run() {
    net::dispatch(m_strand, [self = shared_from_this()] { self->do_accept(); });
}

void Listener::stop() {
    net::dispatch(m_strand, [self = shared_from_this()] {
        boost::system::error_code ec;
        self->m_acceptor.close(ec);
        self->m_backoff.cancel();
    });
}

void Listener::do_accept() {
    if (!m_acceptor.is_open()) return;
    // Each connection gets its own strand: its handlers never run concurrently.
    m_acceptor.async_accept(
        net::make_strand(m_ioc),
        [self = shared_from_this()](boost::system::error_code ec, tcp::socket s) {
            self->on_accept(ec, std::move(s));
        });
}

void Listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !m_acceptor.is_open()) return;
    if (ec) {
        // Out of file descriptors and the like: pause instead of spinning.
        spdlog::warn("accept failed: {}", ec.message());
        m_backoff.expires_after(std::chrono::milliseconds(100));
        m_backoff.async_wait([self = shared_from_this()](boost::system::error_code wec) {
            if (!wec) self->do_accept();
        });
        return;
    }
    start_http_session(std::move(socket), m_services);
    do_accept();
}

}  // namespace edgesync::server
