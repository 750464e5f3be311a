#include "tests/support/sse_client.hpp"

#include <netdb.h>
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

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("sse client: " + what); }

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

int connect_to(const std::string& host, std::uint16_t port, int receive_buffer_bytes) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0)
        fail("cannot resolve " + host);
    int fd = -1;
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
        fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        if (receive_buffer_bytes > 0)  // before connect: it bounds the TCP window
            ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes,
                         sizeof receive_buffer_bytes);
        if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
        ::close(fd);
        fd = -1;
    }
    ::freeaddrinfo(found);
    if (fd < 0) fail("cannot connect: " + std::string(std::strerror(errno)));
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

std::string_view trim_cr(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

}  // namespace

SseClient::SseClient(const std::string& host, std::uint16_t port, std::string_view target,
                     const HttpHeaders& headers, std::chrono::milliseconds timeout,
                     int receive_buffer_bytes)
    : m_fd(connect_to(host, port, receive_buffer_bytes)) {
    std::string req = "GET " + std::string(target) + " HTTP/1.1\r\nHost: " + host +
                      "\r\nAccept: text/event-stream\r\n";
    for (const auto& [n, v] : headers) req += n + ": " + v + "\r\n";
    req += "\r\n";
    for (std::size_t sent = 0; sent < req.size();) {
        const auto n = ::send(m_fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) fail("send failed");
        sent += static_cast<std::size_t>(n);
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t end = 0;
    while ((end = m_buffer.find("\r\n\r\n")) == std::string::npos)
        if (!fill(deadline)) fail("closed before the response header");
    const std::string head = m_buffer.substr(0, end);
    m_buffer.erase(0, end + 4);
    std::size_t pos = head.find("\r\n");
    const std::string status_line = head.substr(0, pos);
    if (status_line.size() < 12) fail("bad status line: " + status_line);
    m_status = std::stoi(status_line.substr(9, 3));
    while (pos != std::string::npos && pos < head.size()) {
        const auto next = head.find("\r\n", pos + 2);
        const auto line =
            head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        if (const auto colon = line.find(':'); colon != std::string::npos) {
            auto value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            m_headers.emplace_back(line.substr(0, colon), value);
        }
        pos = next;
    }
    if (m_status != 200) {  // an ordinary response with Content-Length
        const auto length =
            static_cast<std::size_t>(std::stoul(header("Content-Length").value_or("0")));
        while (m_buffer.size() < length)
            if (!fill(deadline)) break;
        m_error_body = std::move(m_buffer);
        m_buffer.clear();
    }
}

SseClient::~SseClient() {
    if (m_fd >= 0) ::close(m_fd);
}

std::optional<std::string> SseClient::header(std::string_view name) const {
    for (const auto& [n, v] : m_headers)
        if (iequal(n, name)) return v;
    return std::nullopt;
}

bool SseClient::fill(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) fail("timed out");
    pollfd p{m_fd, POLLIN, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc == 0) fail("timed out");
    if (rc < 0) fail("poll failed");
    char buf[4096];
    const auto n = ::recv(m_fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    m_buffer.append(buf, static_cast<std::size_t>(n));
    return true;
}

std::optional<SseMessage> SseClient::next(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t end = 0;
    while ((end = m_buffer.find("\n\n")) == std::string::npos)
        if (!fill(deadline)) return std::nullopt;
    const std::string block = m_buffer.substr(0, end + 1);
    m_buffer.erase(0, end + 2);
    SseMessage m;
    bool has_data = false;
    for (std::size_t pos = 0; pos < block.size();) {
        const auto nl = block.find('\n', pos);
        const auto line = trim_cr(std::string_view(block).substr(pos, nl - pos));
        pos = nl + 1;
        if (line.starts_with(":")) {
            m.comment = std::string(line.substr(line.size() > 1 && line[1] == ' ' ? 2 : 1));
            continue;
        }
        const auto colon = line.find(':');
        const auto field = line.substr(0, colon);
        auto value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
        if (value.starts_with(' ')) value.remove_prefix(1);
        if (field == "id") m.id = value;
        if (field == "event") m.event = value;
        if (field == "data") {
            if (has_data) m.data += '\n';
            m.data += value;
            has_data = true;
        }
    }
    return m;
}

std::optional<SseMessage> SseClient::next_event(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        auto m = next(std::max(left, std::chrono::milliseconds(1)));
        if (!m || !m->is_comment()) return m;
    }
}

bool SseClient::wait_for_close(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    try {
        while (fill(deadline)) m_buffer.clear();
        return true;
    } catch (const std::runtime_error&) {
        return false;
    }
}

}  // namespace edgesync::test
