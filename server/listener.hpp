#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <memory>

#include "server/http_session.hpp"

namespace edgesync::server {

// Accepts connections and starts an HTTP session for each, on its own strand.
// Owned through shared_ptr (pending accepts keep it alive). Thread-safe:
// stop() may be called from any thread.
class Listener : public std::enable_shared_from_this<Listener> {
  public:
    // Opens, binds and listens. Throws edgesync::Error naming the address
    // when that fails (address in use, permission, not a local address).
    Listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint,
             SessionServices& services);

    // The bound address (the real port when 0 was asked for).
    [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;

    void run();
    // Closes the acceptor: no new connections; live ones are not touched.
    void stop();

  private:
    void do_accept();
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

    boost::asio::io_context& m_ioc;
    boost::asio::strand<boost::asio::io_context::executor_type> m_strand;
    boost::asio::ip::tcp::acceptor m_acceptor;  // used on m_strand only
    boost::asio::steady_timer m_backoff;        // after EMFILE and the like
    SessionServices& m_services;
};

}  // namespace edgesync::server
