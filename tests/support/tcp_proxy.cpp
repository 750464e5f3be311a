#include "tests/support/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace edgesync::test {

namespace {

sockaddr_in loopback(const std::string& host, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1)
        throw std::runtime_error("tcp proxy: not an IPv4 address: " + host);
    return a;
}

// Closing with SO_LINGER 0 sends a reset: the peer sees the connection
// refused/reset at once, as with a cut cable plus a firewall's reject.
void close_with_reset(int fd) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
}

}  // namespace

struct TcpProxy::Connection {
    int client = -1;
    int upstream = -1;
    std::thread to_upstream;
    std::thread to_client;
    std::atomic<int> finished{0};  // pump threads that returned

    void shut() const {
        ::shutdown(client, SHUT_RDWR);
        ::shutdown(upstream, SHUT_RDWR);
    }

    // Copies `from` to `to` until EOF (then half-closes `to`) or an error
    // (then shuts both down: a relay with one broken side is broken).
    void pump(int from, int to) {
        char buf[16384];
        for (;;) {
            const auto n = ::recv(from, buf, sizeof buf, 0);
            if (n == 0) {
                ::shutdown(to, SHUT_WR);
                break;
            }
            if (n < 0) {
                if (errno == EINTR) continue;
                shut();
                break;
            }
            std::size_t sent = 0;
            bool failed = false;
            while (sent < static_cast<std::size_t>(n)) {
                const auto w =
                    ::send(to, buf + sent, static_cast<std::size_t>(n) - sent, MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR) continue;
                if (w <= 0) {
                    failed = true;
                    break;
                }
                sent += static_cast<std::size_t>(w);
            }
            if (failed) {
                shut();
                break;
            }
        }
        finished.fetch_add(1);
    }

    void join_and_close() {
        if (to_upstream.joinable()) to_upstream.join();
        if (to_client.joinable()) to_client.join();
        ::close(client);
        ::close(upstream);
    }
};

TcpProxy::TcpProxy(std::string target_host, std::uint16_t target_port)
    : m_host(std::move(target_host)), m_target_port(target_port) {
    m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m_listener < 0) throw std::runtime_error("tcp proxy: socket failed");
    auto addr = loopback("127.0.0.1", 0);
    socklen_t len = sizeof addr;
    if (::bind(m_listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(m_listener, 128) != 0 ||
        ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        ::pipe2(m_wake, O_CLOEXEC) != 0) {
        ::close(m_listener);
        throw std::runtime_error(std::string("tcp proxy: cannot listen: ") + std::strerror(errno));
    }
    m_port = ntohs(addr.sin_port);
    m_acceptor = std::thread([this] { accept_loop(); });
}

TcpProxy::~TcpProxy() {
    m_stopping.store(true);
    const char c = 'x';
    (void)::write(m_wake[1], &c, 1);
    if (m_acceptor.joinable()) m_acceptor.join();
    std::lock_guard lock(m_mutex);
    for (auto& conn : m_connections) conn->shut();
    for (auto& conn : m_connections) conn->join_and_close();
    m_connections.clear();
    ::close(m_listener);
    ::close(m_wake[0]);
    ::close(m_wake[1]);
}

std::string TcpProxy::http_url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

void TcpProxy::set_target(std::uint16_t target_port) { m_target_port.store(target_port); }

void TcpProxy::cut() {
    m_refusing.store(true);
    std::lock_guard lock(m_mutex);
    for (auto& conn : m_connections) conn->shut();
}

void TcpProxy::restore() { m_refusing.store(false); }

void TcpProxy::reap_finished() {
    for (auto it = m_connections.begin(); it != m_connections.end();) {
        if ((*it)->finished.load() == 2) {
            (*it)->join_and_close();
            it = m_connections.erase(it);
        } else {
            ++it;
        }
    }
}

void TcpProxy::accept_loop() {
    while (!m_stopping.load()) {
        pollfd fds[2] = {{m_listener, POLLIN, 0}, {m_wake[0], POLLIN, 0}};
        if (::poll(fds, 2, 500) < 0 && errno != EINTR) return;
        {
            std::lock_guard lock(m_mutex);
            reap_finished();
        }
        if (m_stopping.load()) return;
        if ((fds[0].revents & POLLIN) == 0) continue;
        const int client = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        if (m_refusing.load()) {
            close_with_reset(client);
            continue;
        }
        const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const auto target = loopback(m_host, m_target_port.load());
        if (upstream < 0 ||
            ::connect(upstream, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0) {
            if (upstream >= 0) ::close(upstream);
            close_with_reset(client);  // the server is down: so is the relay
            continue;
        }
        const int one = 1;
        ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        auto conn = std::make_unique<Connection>();
        conn->client = client;
        conn->upstream = upstream;
        auto* c = conn.get();
        c->to_upstream = std::thread([c] { c->pump(c->client, c->upstream); });
        c->to_client = std::thread([c] { c->pump(c->upstream, c->client); });
        m_accepted.fetch_add(1);
        std::lock_guard lock(m_mutex);
        m_connections.push_back(std::move(conn));
        // A cut() that ran between accept and here must not miss this one.
        if (m_refusing.load()) c->shut();
    }
}

}  // namespace edgesync::test
