#include "tests/support/http_client.hpp"

#include "tests/support/private_services.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace edgesync::test {

namespace {

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("http client: " + what);
}

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

bool has_header(const HttpHeaders& headers, std::string_view name) {
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto& h) { return iequal(h.first, name); });
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    for (const auto& [n, v] : headers)
        if (iequal(n, name)) return v;
    return std::nullopt;
}

std::string HttpResponse::describe() const {
    std::string out = "HTTP " + std::to_string(status) + " " + reason + "\n";
    for (const auto& [n, v] : headers) out += n + ": " + v + "\n";
    return out + "\n" + body;
}

HttpConnection::HttpConnection(const std::string& host, std::uint16_t port,
                               std::chrono::milliseconds timeout)
    : m_host(host), m_timeout(timeout) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
        rc != 0)
        fail("cannot resolve " + host + ": " + ::gai_strerror(rc));
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
        m_fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (m_fd < 0) continue;
        if (::connect(m_fd, a->ai_addr, a->ai_addrlen) == 0) break;
        ::close(m_fd);
        m_fd = -1;
    }
    ::freeaddrinfo(found);
    if (m_fd < 0)
        fail("cannot connect to " + host + ":" + std::to_string(port) + ": " +
             std::strerror(errno));
    const int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_receive_timeout(timeout);
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(m_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

HttpConnection::~HttpConnection() { close(); }

void HttpConnection::close() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
}

void HttpConnection::set_receive_timeout(std::chrono::milliseconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

void HttpConnection::send_raw(std::string_view bytes) {
    if (m_fd < 0) fail("connection is closed");
    while (!bytes.empty()) {
        const auto n = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail(std::string("send: ") + std::strerror(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

bool HttpConnection::fill() {
    char buf[16384];
    for (;;) {
        const auto n = ::recv(m_fd, buf, sizeof buf, 0);
        if (n > 0) {
            m_buffer.append(buf, static_cast<std::size_t>(n));
            return true;
        }
        if (n == 0) return false;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) fail("timed out waiting for the server");
        if (errno == ECONNRESET) return false;
        fail(std::string("recv: ") + std::strerror(errno));
    }
}

HttpResponse HttpConnection::request(std::string_view method, std::string_view target,
                                     const HttpHeaders& headers, std::string_view body) {
    std::string text;
    text.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
    if (!has_header(headers, "Host")) text += "Host: " + m_host + "\r\n";
    const bool usually_has_body = method == "POST" || method == "PUT" || method == "PATCH";
    if (!has_header(headers, "Content-Length") && !has_header(headers, "Transfer-Encoding") &&
        (!body.empty() || usually_has_body))
        text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    for (const auto& [n, v] : headers) text += n + ": " + v + "\r\n";
    text += "\r\n";
    text.append(body);
    send_raw(text);
    return read_response();
}

HttpResponse HttpConnection::read_response(bool return_interim) {
    for (;;) {
        std::size_t end;
        while ((end = m_buffer.find("\r\n\r\n")) == std::string::npos)
            if (!fill())
                fail("connection closed before a response header" +
                     (m_buffer.empty() ? std::string() : ": got '" + m_buffer + "'"));
        const std::string head = m_buffer.substr(0, end);
        m_buffer.erase(0, end + 4);

        HttpResponse r;
        std::size_t line_end = head.find("\r\n");
        const std::string status_line = head.substr(0, line_end);
        if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12)
            fail("malformed status line '" + status_line + "'");
        r.status = std::stoi(status_line.substr(9, 3));
        r.reason = status_line.size() > 13 ? status_line.substr(13) : "";
        while (line_end != std::string::npos) {
            const auto start = line_end + 2;
            line_end = head.find("\r\n", start);
            const std::string line = head.substr(
                start, line_end == std::string::npos ? std::string::npos : line_end - start);
            const auto colon = line.find(':');
            if (colon == std::string::npos) fail("malformed header line '" + line + "'");
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(" \t"));
            r.headers.emplace_back(line.substr(0, colon), value);
        }
        if (r.status >= 100 && r.status < 200) {
            if (return_interim) return r;
            continue;
        }

        if (const auto te = r.header("Transfer-Encoding"); te && iequal(*te, "chunked")) {
            for (;;) {
                std::size_t eol;
                while ((eol = m_buffer.find("\r\n")) == std::string::npos)
                    if (!fill()) fail("connection closed inside a chunked body");
                const std::size_t size = std::stoul(m_buffer.substr(0, eol), nullptr, 16);
                m_buffer.erase(0, eol + 2);
                while (m_buffer.size() < size + 2)
                    if (!fill()) fail("connection closed inside a chunk");
                r.body.append(m_buffer, 0, size);
                m_buffer.erase(0, size + 2);
                if (size == 0) break;  // no trailers expected from our server
            }
        } else if (const auto cl = r.header("Content-Length")) {
            const std::size_t size = std::stoul(*cl);
            while (m_buffer.size() < size)
                if (!fill()) fail("connection closed inside the body");
            r.body = m_buffer.substr(0, size);
            m_buffer.erase(0, size);
        } else if (r.status != 204 && r.status != 304) {
            while (fill()) {
            }
            r.body = std::move(m_buffer);
            m_buffer.clear();
        }
        return r;
    }
}

bool HttpConnection::wait_for_close(std::chrono::milliseconds timeout) {
    set_receive_timeout(timeout);
    try {
        while (fill()) m_buffer.clear();
        set_receive_timeout(m_timeout);
        return true;
    } catch (const std::runtime_error&) {
        set_receive_timeout(m_timeout);
        return false;
    }
}

std::string HttpConnection::read_until_close(std::chrono::milliseconds timeout) {
    set_receive_timeout(timeout);
    try {
        while (fill()) {
        }
    } catch (const std::runtime_error&) {
    }
    set_receive_timeout(m_timeout);
    return std::exchange(m_buffer, {});
}

HttpResponse http_request(const std::string& host, std::uint16_t port, std::string_view method,
                          std::string_view target, const HttpHeaders& headers,
                          std::string_view body) {
    HttpConnection c(host, port);
    return c.request(method, target, headers, body);
}

std::uint16_t closed_port() { return free_loopback_port(); }

}  // namespace edgesync::test
