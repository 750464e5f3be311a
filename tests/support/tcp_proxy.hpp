#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

// A TCP relay on 127.0.0.1 between a client under test (e.g. an agent) and a
// server, for network faults: cut() drops every open connection and refuses
// new ones (accepted and closed at once) until restore(). The target can be
// moved (a server restarted on another port) without the client noticing.
namespace edgesync::test {

class TcpProxy {
  public:
    TcpProxy(std::string target_host, std::uint16_t target_port);
    ~TcpProxy();  // closes everything, joins its threads
    TcpProxy(const TcpProxy&) = delete;
    TcpProxy& operator=(const TcpProxy&) = delete;

    [[nodiscard]] std::uint16_t port() const noexcept { return m_port; }
    // "http://127.0.0.1:PORT"
    [[nodiscard]] std::string http_url() const;

    // New connections go there; open ones are left alone.
    void set_target(std::uint16_t target_port);
    // Shuts down every relayed connection (both ends see it close) and refuses
    // connections until restore().
    void cut();
    void restore();
    // Connections relayed so far (for checking that a client really came back).
    [[nodiscard]] std::uint64_t accepted() const noexcept { return m_accepted.load(); }

  private:
    struct Connection;
    void accept_loop();
    void reap_finished();  // under m_mutex

    std::string m_host;
    std::atomic<std::uint16_t> m_target_port;
    int m_listener = -1;
    int m_wake[2] = {-1, -1};  // wakes accept_loop for shutdown
    std::uint16_t m_port = 0;
    std::atomic<bool> m_refusing{false};
    std::atomic<bool> m_stopping{false};
    std::atomic<std::uint64_t> m_accepted{0};

    std::mutex m_mutex;
    std::list<std::unique_ptr<Connection>> m_connections;  // guarded
    std::thread m_acceptor;
};

}  // namespace edgesync::test
