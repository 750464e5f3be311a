// What the server benchmarks (bench_server_puts, bench_sse_fanout, bench_idle_connections)
// share: a blocking HTTP/1.1 keep-alive connection with just enough of the
// protocol for the server's answers, sign-up over the API, the fd limit.
// Header-only: every bench_*.cpp is its own executable.
#pragma once

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>

#include "shared/util/error.hpp"

namespace edgesync::bench {

struct Endpoint {
    std::string host;
    std::string port;
};

inline Endpoint parse_url(const std::string& url) {
    static const std::regex k_url(R"(http://([^:/]+|\[[^\]]+\]):([0-9]+)/?)");
    std::smatch m;
    if (!std::regex_match(url, m, k_url)) throw Error("bench: --url must be http://HOST:PORT");
    std::string host = m[1];
    if (host.front() == '[') host = host.substr(1, host.size() - 2);
    return {host, m[2]};
}

// A connected blocking TCP socket (TCP_NODELAY); the caller owns the fd.
inline int connect_tcp(const Endpoint& ep) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(ep.host.c_str(), ep.port.c_str(), &hints, &res) != 0 || res == nullptr)
        throw Error("bench: cannot resolve " + ep.host);
    const int fd = ::socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    const bool ok = fd >= 0 && ::connect(fd, res->ai_addr, res->ai_addrlen) == 0;
    ::freeaddrinfo(res);
    if (!ok) {
        if (fd >= 0) ::close(fd);
        throw Error(fmt::format("bench: cannot connect to {}:{} ({})", ep.host, ep.port,
                                std::strerror(errno)));
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

inline void send_all(int fd, std::string_view data) {
    for (std::size_t sent = 0; sent < data.size();) {
        const auto n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) throw Error("bench: send failed");
        sent += static_cast<std::size_t>(n);
    }
}

// Reads until the end of a response head; returns the head (without the
// blank line) and leaves what followed it in `rest`.
inline std::string read_head(int fd, std::string& rest) {
    std::string buf = std::move(rest);
    rest.clear();
    std::size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        char chunk[4096];
        const auto n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) throw Error("bench: connection closed before a response head");
        buf.append(chunk, static_cast<std::size_t>(n));
    }
    rest = buf.substr(end + 4);
    buf.resize(end + 2);
    return buf;
}

inline int status_of(const std::string& head) {
    return head.size() >= 12 ? std::stoi(head.substr(9, 3)) : 0;
}

// The value of a header in a response head (name in lower case), or "".
inline std::string header_of(const std::string& head, std::string_view lower_name) {
    for (std::size_t at = head.find("\r\n") + 2; at < head.size();) {
        const auto eol = head.find("\r\n", at);
        const auto line = std::string_view(head).substr(at, eol - at);
        const auto colon = line.find(':');
        if (colon != std::string_view::npos) {
            std::string name(line.substr(0, colon));
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            auto value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
            if (name == lower_name) return std::string(value);
        }
        at = eol + 2;
    }
    return {};
}

// One keep-alive HTTP/1.1 connection, blocking; Content-Length bodies only.
class Connection {
  public:
    explicit Connection(const Endpoint& ep) : m_fd(connect_tcp(ep)), m_host(ep.host) {}
    ~Connection() { ::close(m_fd); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    struct Reply {
        int status = 0;
        std::string etag;
        std::string body;
    };

    // `headers`: extra lines, each ending in \r\n.
    Reply send(std::string_view method, std::string_view target, std::string_view headers,
               std::string_view body) {
        std::string req = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n{}\r\n",
                                      method, target, m_host, body.size(), headers);
        req.append(body);
        send_all(m_fd, req);
        const std::string head = read_head(m_fd, m_rest);
        Reply r;
        r.status = status_of(head);
        r.etag = header_of(head, "etag");
        const auto length_text = header_of(head, "content-length");
        const std::size_t length = length_text.empty() ? 0 : std::stoul(length_text);
        while (m_rest.size() < length) {
            char chunk[16384];
            const auto n = ::recv(m_fd, chunk, sizeof chunk, 0);
            if (n <= 0) throw Error("bench: connection closed by the server");
            m_rest.append(chunk, static_cast<std::size_t>(n));
        }
        r.body = m_rest.substr(0, length);
        m_rest.erase(0, length);
        return r;
    }

  private:
    int m_fd;
    std::string m_host;
    std::string m_rest;
};

struct Login {
    std::string access_token;
    std::string account_id;
};

// A new account over the API (register + login). Logging in again with the
// same email gives another session (and device) of the same account.
inline Login sign_up(const Endpoint& ep, const std::string& email, bool register_first) {
    Connection c(ep);
    const nlohmann::json creds = {{"email", email}, {"password", "bench password 0123456789"}};
    const std::string type = "Content-Type: application/json\r\n";
    if (register_first) {
        const auto reg = c.send("POST", "/v1/auth/register", type, creds.dump());
        if (reg.status != 201)
            throw Error(fmt::format("bench: register: {} {}", reg.status, reg.body));
    }
    const auto login = c.send("POST", "/v1/auth/login", type, creds.dump());
    if (login.status != 200)
        throw Error(fmt::format("bench: login: {} {}", login.status, login.body));
    const auto j = nlohmann::json::parse(login.body);
    return {j.at("access_token").get<std::string>(), j.at("account_id").get<std::string>()};
}

// Raises this process's open-file limit towards `wanted` (root may raise the
// hard limit too); returns the soft limit in force.
inline rlim_t raise_fd_limit(rlim_t wanted) {
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_cur >= wanted) return lim.rlim_cur;
    rlimit want{wanted, std::max(wanted, lim.rlim_max)};
    if (::setrlimit(RLIMIT_NOFILE, &want) != 0) {
        want = {lim.rlim_max, lim.rlim_max};
        ::setrlimit(RLIMIT_NOFILE, &want);
    }
    ::getrlimit(RLIMIT_NOFILE, &lim);
    return lim.rlim_cur;
}

// VmRSS of a process in KiB (from /proc/<pid>/status), or -1.
inline long rss_kib(long pid) {
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

// User + system CPU seconds a process has used (/proc/<pid>/stat), or -1.
inline double cpu_seconds(long pid) {
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string stat;
    std::getline(in, stat);
    const auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) return -1;
    std::istringstream fields(stat.substr(close_paren + 2));  // from field 3, the state
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace edgesync::bench
