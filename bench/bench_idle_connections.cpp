// Server memory per idle streaming connection: opens N idle SSE streams
// (`GET /v1/events/stream`), then N idle WebSockets (`GET /v1/ws`, upgraded
// by a hand-written request), to one running edgesync-server, and reads the
// server's VmRSS (/proc/<pid>/status) before and after each phase. Prints
// KiB per connection against the goal (< 64 KiB); asserts nothing.
//
// RSS is what the process holds in user space (session objects, buffers,
// the hub's map, malloc's slack); the kernel's socket buffers are not in it.
// Starts nothing: scripts/bench.sh starts the server (SERVER_MAX_CONNECTIONS
// above N, fd limit raised, a long SERVER_STREAM_HEARTBEAT so that silent
// WebSocket clients are not dropped while the phase is open) and passes
// --url and --server-pid.
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "bench/bench_http.hpp"

namespace {

using namespace edgesync;
using namespace edgesync::bench;
using Clock = std::chrono::steady_clock;

constexpr double k_goal_kib = 64.0;

enum class Kind { sse, websocket };

// One idle stream, handshake done; returns its fd.
int open_idle(const Endpoint& ep, const std::string& token, Kind kind) {
    const int fd = connect_tcp(ep);
    if (kind == Kind::sse)
        send_all(fd, fmt::format("GET /v1/events/stream HTTP/1.1\r\nHost: {}\r\n"
                                 "Authorization: Bearer {}\r\nAccept: text/event-stream\r\n\r\n",
                                 ep.host, token));
    else
        send_all(fd, fmt::format("GET /v1/ws HTTP/1.1\r\nHost: {}\r\n"
                                 "Authorization: Bearer {}\r\nUpgrade: websocket\r\n"
                                 "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                                 ep.host, token));
    std::string rest;
    const auto head = read_head(fd, rest);
    const int want = kind == Kind::sse ? 200 : 101;
    if (status_of(head) != want) {
        ::close(fd);
        throw Error(fmt::format("bench: stream refused: {}", head.substr(0, head.find('\r'))));
    }
    return fd;
}

// Still open from the server's side: no EOF waiting (data, e.g. a
// heartbeat, or nothing at all).
bool alive(int fd) {
    char c;
    const auto n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

struct Phase {
    std::string name;
    long rss_before = 0;
    long rss_open = 0;
    long rss_closed = 0;
    int opened = 0;
    int alive = 0;
    double open_seconds = 0;
};

Phase run_phase(const Endpoint& ep, long pid, const std::vector<std::string>& tokens, Kind kind,
                int connections, int threads, int settle_seconds) {
    Phase p;
    p.name = kind == Kind::sse ? "SSE" : "WebSocket";
    std::this_thread::sleep_for(std::chrono::seconds(settle_seconds));
    p.rss_before = rss_kib(pid);
    std::vector<int> fds(static_cast<std::size_t>(connections), -1);
    std::atomic<int> next{0};
    std::mutex error_mutex;
    std::string error;  // guarded by error_mutex
    const auto start = Clock::now();
    std::vector<std::thread> openers;
    for (int t = 0; t < threads; ++t)
        openers.emplace_back([&] {
            for (int i; (i = next.fetch_add(1)) < connections;) {
                try {
                    fds[static_cast<std::size_t>(i)] =
                        open_idle(ep, tokens[static_cast<std::size_t>(i) % tokens.size()], kind);
                } catch (const std::exception& e) {
                    const std::lock_guard lock(error_mutex);
                    if (error.empty()) error = e.what();
                    next = connections;  // stop every opener
                }
            }
        });
    for (auto& t : openers) t.join();
    p.open_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    for (const int fd : fds) p.opened += fd >= 0 ? 1 : 0;
    if (!error.empty())
        fmt::print(stderr, "bench: {}: stopped after {} connections: {}\n", p.name, p.opened,
                   error);
    std::this_thread::sleep_for(std::chrono::seconds(settle_seconds));
    p.rss_open = rss_kib(pid);
    for (const int fd : fds) p.alive += fd >= 0 && alive(fd) ? 1 : 0;
    for (const int fd : fds)
        if (fd >= 0) ::close(fd);
    std::this_thread::sleep_for(std::chrono::seconds(settle_seconds));
    p.rss_closed = rss_kib(pid);
    return p;
}

}  // namespace

int main(int argc, char** argv) try {
    CLI::App app{"bench_idle_connections: server RSS per idle SSE / WebSocket connection"};
    std::string url;
    long pid = 0;
    int connections = 10000;
    int accounts = 4;
    int threads = 8;
    int settle = 3;
    std::string phases = "sse,ws";
    app.add_option("--url", url, "The running server, http://HOST:PORT")->required();
    app.add_option("--server-pid", pid, "Its process id (for /proc/<pid>/status)")->required();
    app.add_option("--connections", connections, "Idle connections per phase")
        ->check(CLI::Range(1, 60000));
    app.add_option("--accounts", accounts, "Accounts the connections are spread over")
        ->check(CLI::Range(1, 1000));
    app.add_option("--threads", threads, "Threads opening connections (handshakes in flight)")
        ->check(CLI::Range(1, 64));
    app.add_option("--settle", settle, "Seconds to wait before each RSS reading")
        ->check(CLI::Range(0, 60));
    app.add_option("--phases", phases, "Comma-separated: sse, ws");
    CLI11_PARSE(app, argc, argv);
    const auto ep = parse_url(url);
    if (rss_kib(pid) < 0) throw Error(fmt::format("bench: no process {}", pid));
    const auto limit = raise_fd_limit(static_cast<rlim_t>(connections) + 256);
    if (limit < static_cast<rlim_t>(connections) + 64)
        throw Error(fmt::format("bench: the fd limit is {}, too low", limit));

    std::vector<std::string> tokens;
    for (int a = 0; a < accounts; ++a)
        tokens.push_back(
            sign_up(ep, fmt::format("bench-idle-{}-{}@edgesync.invalid", ::getpid(), a), true)
                .access_token);
    fmt::print("idle streams: {} per phase over {} accounts, {} opener threads, server pid {}\n",
               connections, accounts, threads, pid);
    fmt::print("{:<10} {:>7} {:>7} {:>8} {:>12} {:>12} {:>12} {:>10} {:>7}\n", "phase", "opened",
               "alive", "open s", "RSS before", "RSS open", "RSS closed", "KiB/conn", "/goal");
    std::fflush(stdout);
    std::stringstream list(phases);
    for (std::string name; std::getline(list, name, ',');) {
        if (name != "sse" && name != "ws") throw Error("bench: unknown phase " + name);
        const auto p = run_phase(ep, pid, tokens, name == "sse" ? Kind::sse : Kind::websocket,
                                 connections, threads, settle);
        const double per = p.opened > 0 ? static_cast<double>(p.rss_open - p.rss_before) /
                                              static_cast<double>(p.opened)
                                        : 0.0;
        fmt::print("{:<10} {:>7} {:>7} {:>8.1f} {:>9} KiB {:>8} KiB {:>8} KiB {:>10.2f} {:>7.2f}\n",
                   p.name, p.opened, p.alive, p.open_seconds, p.rss_before, p.rss_open,
                   p.rss_closed, per, per / k_goal_kib);
        std::fflush(stdout);
    }
    fmt::print("goal: < {:.0f} KiB of server RSS per idle connection\n", k_goal_kib);
    return 0;
} catch (const std::exception& e) {
    fmt::print(stderr, "bench_idle_connections: error: {}\n", e.what());
    return 1;
}
