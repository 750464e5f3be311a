// Commit-to-receive latency of live events through a running edgesync-server:
// one writer doing conditional PUTs on one account, N subscribers of that
// account each holding `GET /v1/events/stream` on its own TCP connection.
// Prints p50/p99/max over all deliveries, deliveries/s, and every event a
// subscriber missed; asserts nothing.
//
// Latency of a delivery, three ways, all ending when the subscriber's epoll
// thread read the frame:
//  - from commit: from the event's `created_at` (Postgres now() of the
//    writing transaction, microseconds, wall clock of this same machine):
//    commit-to-receive as issue #4 defines it;
//  - from just before the writer sent the PUT that committed it (so it also
//    includes the PUT's own path: HTTP, auth, es_write_state; an upper bound);
//  - from the PUT's response arrival (it can be negative: the event may
//    arrive before the response).
//
// Starts nothing: scripts/bench.sh starts Postgres, Redis and the server
// (with SERVER_MAX_CONNECTIONS above N and a raised fd limit) and passes --url.
#include <fcntl.h>
#include <sys/epoll.h>

#include <CLI/CLI.hpp>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench/bench_http.hpp"
#include "shared/util/bytes.hpp"

namespace {

using namespace edgesync;
using namespace edgesync::bench;
using Clock = std::chrono::steady_clock;

constexpr double k_goal_p99_ms = 10.0;

// One SSE stream: its socket, unparsed bytes, and (seq, receive time) of
// every event frame read. The first subscriber also keeps each event's commit
// time (created_at, on the steady clock).
struct Subscriber {
    int fd = -1;
    bool keeps_commit_times = false;
    std::string buf;
    std::vector<std::pair<std::int64_t, Clock::time_point>> got;
    std::vector<std::pair<std::int64_t, Clock::time_point>> committed;
    std::atomic<std::int64_t> last_seq{0};  // for the writer's wait
    std::atomic<bool> closed{false};
};

// Opens a stream with a blocking handshake (the 200 head), then makes the
// socket non-blocking for the epoll loop.
void open_stream(const Endpoint& ep, const std::string& token, Subscriber& s) {
    s.fd = connect_tcp(ep);
    send_all(s.fd, fmt::format("GET /v1/events/stream HTTP/1.1\r\nHost: {}\r\n"
                               "Authorization: Bearer {}\r\nAccept: text/event-stream\r\n\r\n",
                               ep.host, token));
    const auto head = read_head(s.fd, s.buf);
    if (status_of(head) != 200)
        throw Error(fmt::format("bench: stream refused: {}", head.substr(0, head.find('\r'))));
    ::fcntl(s.fd, F_SETFL, ::fcntl(s.fd, F_GETFL) | O_NONBLOCK);
}

// steady_clock minus system_clock, taken once: maps wall-clock stamps of this
// machine (created_at) onto the steady clock the receive times use.
const Clock::duration k_steady_minus_system = [] {
    return Clock::now().time_since_epoch() -
           std::chrono::duration_cast<Clock::duration>(
               std::chrono::system_clock::now().time_since_epoch());
}();

int digits(std::string_view s, std::size_t at, std::size_t n) {
    int v = 0;
    std::from_chars(s.data() + at, s.data() + at + n, v);
    return v;
}

// The `created_at` of an event frame's JSON ("YYYY-MM-DDTHH:MM:SS.ffffffZ")
// on the steady clock; nullopt when absent.
std::optional<Clock::time_point> commit_time(std::string_view block) {
    constexpr std::string_view k_field = "\"created_at\":\"";
    const auto at = block.find(k_field);
    if (at == std::string_view::npos || block.size() < at + k_field.size() + 27) return {};
    const auto t = block.substr(at + k_field.size(), 27);
    using namespace std::chrono;
    const sys_days day{year{digits(t, 0, 4)} / digits(t, 5, 2) / digits(t, 8, 2)};
    const auto wall = day + hours(digits(t, 11, 2)) + minutes(digits(t, 14, 2)) +
                      seconds(digits(t, 17, 2)) + microseconds(digits(t, 20, 6));
    return Clock::time_point(duration_cast<Clock::duration>(wall.time_since_epoch()) +
                             k_steady_minus_system);
}

// Takes complete SSE blocks ("...\n\n") off the buffer and records the seq
// of those carrying an `id:` line. Minimal: the server's frames only.
void parse_frames(Subscriber& s, Clock::time_point now) {
    std::size_t start = 0;
    for (;;) {
        const auto end = s.buf.find("\n\n", start);
        if (end == std::string::npos) break;
        const std::string_view block(s.buf.data() + start, end - start);
        if (block.starts_with("id: ")) {
            std::int64_t seq = 0;
            std::from_chars(block.data() + 4, block.data() + block.size(), seq);
            s.got.emplace_back(seq, now);
            if (s.keeps_commit_times)
                if (const auto committed = commit_time(block))
                    s.committed.emplace_back(seq, *committed);
            s.last_seq.store(seq, std::memory_order_relaxed);
        }
        start = end + 2;
    }
    s.buf.erase(0, start);
}

// An epoll loop over a share of the subscribers until `stop`.
void receive_loop(std::vector<Subscriber*> subs, const std::atomic<bool>& stop) {
    const int ep = ::epoll_create1(0);
    for (auto* s : subs) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = s;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
        if (!s->buf.empty()) parse_frames(*s, Clock::now());
    }
    std::vector<epoll_event> events(256);
    char chunk[16384];
    while (!stop.load(std::memory_order_relaxed)) {
        const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 50);
        for (int i = 0; i < n; ++i) {
            auto& s = *static_cast<Subscriber*>(events[static_cast<std::size_t>(i)].data.ptr);
            for (;;) {
                const auto r = ::recv(s.fd, chunk, sizeof chunk, 0);
                if (r > 0) {
                    s.buf.append(chunk, static_cast<std::size_t>(r));
                    // Level-triggered: a short read emptied the socket; a
                    // second recv would only say EAGAIN (one syscall per
                    // delivery, not two).
                    if (static_cast<std::size_t>(r) < sizeof chunk) break;
                    continue;
                }
                if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                    s.closed = true;
                    ::epoll_ctl(ep, EPOLL_CTL_DEL, s.fd, nullptr);
                }
                break;
            }
            parse_frames(s, Clock::now());
        }
    }
    ::close(ep);
}

struct Sent {
    Clock::time_point before_send;
    Clock::time_point response;
};

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    return sorted[std::min(sorted.size() - 1,
                           static_cast<std::size_t>(p * static_cast<double>(sorted.size())))];
}

}  // namespace

int main(int argc, char** argv) try {
    CLI::App app{"bench_sse_fanout: commit-to-receive latency, 1 writer -> N SSE subscribers"};
    std::string url;
    int subscribers = 1000;
    int events = 300;
    int warmup = 20;
    double rate = 20;
    int threads = 2;
    long server_pid = 0;
    app.add_option("--url", url, "The running server, http://HOST:PORT")->required();
    app.add_option("--subscribers", subscribers, "SSE streams on the one account")
        ->check(CLI::Range(1, 20000));
    app.add_option("--events", events, "Measured PUTs")->check(CLI::Range(1, 100000));
    app.add_option("--warmup", warmup, "PUTs before those (not measured)")
        ->check(CLI::Range(0, 10000));
    app.add_option("--rate", rate, "PUTs per second")->check(CLI::Range(0.1, 10000.0));
    app.add_option("--threads", threads, "Receiving epoll threads")->check(CLI::Range(1, 8));
    app.add_option("--server-pid", server_pid,
                   "The server's process id: prints its CPU time per event");
    CLI11_PARSE(app, argc, argv);
    const auto ep = parse_url(url);
    const auto limit = raise_fd_limit(static_cast<rlim_t>(subscribers) + 256);
    if (limit < static_cast<rlim_t>(subscribers) + 64)
        throw Error(fmt::format("bench: the fd limit is {}, too low", limit));

    const auto email = fmt::format("bench-fanout-{}@edgesync.invalid", ::getpid());
    const auto writer_login = sign_up(ep, email, true);
    const auto reader_login = sign_up(ep, email, false);  // another device of the account

    fmt::print("SSE fan-out: {} subscribers on one account, {} PUTs at {}/s (+{} warm-up), "
               "{} receiving thread(s)\n",
               subscribers, events, rate, warmup, threads);
    std::fflush(stdout);
    std::vector<std::unique_ptr<Subscriber>> subs;
    const auto open_start = Clock::now();
    for (int i = 0; i < subscribers; ++i) {
        subs.push_back(std::make_unique<Subscriber>());
        subs.back()->got.reserve(static_cast<std::size_t>(events + warmup));
        subs.back()->keeps_commit_times = i == 0;
        open_stream(ep, reader_login.access_token, *subs.back());
    }
    fmt::print(stderr, "bench: {} streams open in {:.1f} s\n", subscribers,
               std::chrono::duration<double>(Clock::now() - open_start).count());

    std::atomic<bool> stop{false};
    std::vector<std::thread> receivers;
    for (int t = 0; t < threads; ++t) {
        std::vector<Subscriber*> share;
        for (std::size_t i = static_cast<std::size_t>(t); i < subs.size();
             i += static_cast<std::size_t>(threads))
            share.push_back(subs[i].get());
        receivers.emplace_back(receive_loop, std::move(share), std::cref(stop));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // catch-up reads done

    // The writer: one keep-alive connection, one key, If-None-Match: * then If-Match.
    Connection writer(ep);
    const std::string body =
        nlohmann::json{{"state", base64_encode(Bytes(256, 0xA5))},
                       {"nonce", base64_encode(Bytes(24, 7))}}
            .dump();
    const std::string auth = fmt::format(
        "Authorization: Bearer {}\r\nContent-Type: application/json\r\n", writer_login.access_token);
    const std::string target = fmt::format("/v1/states/fanout-{}", ::getpid());
    std::string precondition = "If-None-Match: *\r\n";
    std::unordered_map<std::int64_t, Sent> sent;  // measured events by seq
    std::int64_t last_seq = 0;
    const auto period = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / rate));
    auto next = Clock::now();
    const auto write_start = next;
    const double server_cpu_start = server_pid > 0 ? cpu_seconds(server_pid) : -1;
    const double bench_cpu_start = cpu_seconds(::getpid());
    for (int i = 0; i < warmup + events; ++i) {
        std::this_thread::sleep_until(next);
        next += period;
        const auto t0 = Clock::now();
        const auto r = writer.send("PUT", target, auth + precondition, body);
        const auto t1 = Clock::now();
        if (r.status != 200 && r.status != 201)
            throw Error(fmt::format("bench: PUT: {} {}", r.status, r.body));
        precondition = "If-Match: " + r.etag + "\r\n";
        last_seq = nlohmann::json::parse(r.body).at("seq").get<std::int64_t>();
        if (i >= warmup) sent[last_seq] = {t0, t1};
    }
    const double write_seconds = std::chrono::duration<double>(Clock::now() - write_start).count();

    // Wait (up to 5 s) for every subscriber to have the last event.
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    const auto has_last = [&](const Subscriber& s) {
        return s.closed.load() || s.last_seq.load() >= last_seq;
    };
    while (Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::size_t done = 0;
        for (const auto& s : subs) done += has_last(*s) ? 1 : 0;
        if (done == subs.size()) break;
    }
    const double server_cpu =
        server_pid > 0 ? cpu_seconds(server_pid) - server_cpu_start : -1;
    const double bench_cpu = cpu_seconds(::getpid()) - bench_cpu_start;
    stop = true;
    for (auto& t : receivers) t.join();

    std::vector<double> from_commit, from_send, from_response, last_per_event, last_from_commit;
    std::unordered_map<std::int64_t, double> slowest;  // per event: the last subscriber
    std::unordered_map<std::int64_t, double> slowest_from_commit;
    std::unordered_map<std::int64_t, Clock::time_point> commits;
    for (const auto& [seq, at] : subs.front()->committed) commits[seq] = at;
    long missing = 0, duplicates = 0, closed = 0;
    Clock::time_point first_rx = Clock::time_point::max(), last_rx{};
    for (const auto& s : subs) {
        closed += s->closed ? 1 : 0;
        std::unordered_map<std::int64_t, int> seen;
        for (const auto& [seq, at] : s->got) {
            const auto it = sent.find(seq);
            if (it == sent.end()) continue;  // warm-up
            if (++seen[seq] > 1) {
                ++duplicates;
                continue;
            }
            const double ms =
                std::chrono::duration<double, std::milli>(at - it->second.before_send).count();
            from_send.push_back(ms);
            from_response.push_back(
                std::chrono::duration<double, std::milli>(at - it->second.response).count());
            slowest[seq] = std::max(slowest[seq], ms);
            if (const auto c = commits.find(seq); c != commits.end()) {
                const double cms = std::chrono::duration<double, std::milli>(at - c->second).count();
                from_commit.push_back(cms);
                slowest_from_commit[seq] = std::max(slowest_from_commit[seq], cms);
            }
            first_rx = std::min(first_rx, at);
            last_rx = std::max(last_rx, at);
        }
        missing += static_cast<long>(sent.size()) - static_cast<long>(seen.size());
    }
    for (const auto& [seq, ms] : slowest) last_per_event.push_back(ms);
    for (const auto& [seq, ms] : slowest_from_commit) last_from_commit.push_back(ms);
    for (auto* v : {&from_commit, &from_send, &from_response, &last_per_event, &last_from_commit})
        std::sort(v->begin(), v->end());

    const double delivery_seconds =
        from_send.empty() ? 0 : std::chrono::duration<double>(last_rx - first_rx).count();
    const auto row = [](const char* what, const std::vector<double>& v) {
        fmt::print("{:<34} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f}\n", what, percentile(v, 0.50),
                   percentile(v, 0.90), percentile(v, 0.99), v.empty() ? 0.0 : v.back());
    };
    fmt::print("{:<34} {:>9} {:>9} {:>9} {:>9}\n", "latency (ms)", "p50", "p90", "p99", "max");
    row("commit (created_at) -> received", from_commit);
    row("before PUT sent -> received", from_send);
    row("PUT response -> received", from_response);
    row("per event, last subscriber", last_per_event);
    row("  the same from commit", last_from_commit);
    fmt::print("deliveries {} of {} ({} missing, {} duplicate, {} streams closed), "
               "{:.0f} deliveries/s, PUTs at {:.1f}/s\n",
               from_send.size(), sent.size() * subs.size(), missing, duplicates, closed,
               delivery_seconds > 0 ? static_cast<double>(from_send.size()) / delivery_seconds
                                    : 0.0,
               static_cast<double>(warmup + events) / write_seconds);
    const double puts = warmup + events;
    if (server_cpu >= 0)
        fmt::print("CPU per PUT and its fan-out: server {:.2f} ms ({:.2f} us per delivery), "
                   "this bench {:.2f} ms ({:.2f} us per delivery)\n",
                   1000 * server_cpu / puts, 1e6 * server_cpu / puts / subscribers,
                   1000 * bench_cpu / puts, 1e6 * bench_cpu / puts / subscribers);
    fmt::print("goal p99 < {:.0f} ms (commit to receive): p99 {:.3f} ms, ratio p99/goal {:.2f}; "
               "from before the PUT: p99 {:.3f} ms, ratio {:.2f}\n",
               k_goal_p99_ms, percentile(from_commit, 0.99),
               percentile(from_commit, 0.99) / k_goal_p99_ms, percentile(from_send, 0.99),
               percentile(from_send, 0.99) / k_goal_p99_ms);
    for (auto& s : subs) ::close(s->fd);
    return 0;
} catch (const std::exception& e) {
    fmt::print(stderr, "bench_sse_fanout: error: {}\n", e.what());
    return 1;
}
