// Publish-to-sink latency of the live hub (server/live_hub.hpp): N sinks on one
// account, a writer publishing LiveEvents through Redis (RedisPublisher +
// publish_live) at a steady rate, each event stamped with its publish time
// ("at"). Beside it, in the same run, one plain RedisSubscriber reading the
// same events: the floor that Redis pub/sub on loopback sets. Prints figures
// and ratios; asserts nothing.
//
// Hub-level only: a sink here records the latency and returns, where a real
// stream posts to its strand and writes a frame (the end-to-end SSE figure is
// a separate benchmark). "last sink" is, per event, the latency of the N-th
// sink called: the time the whole fan-out took.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "server/live_hub.hpp"
#include "server/metrics.hpp"
#include "shared/config/config.hpp"
#include "shared/db/redis_keys.hpp"
#include "shared/db/redis_pool.hpp"
#include "shared/db/redis_subscriber.hpp"
#include "shared/services/live_message.hpp"
#include "shared/services/redis_publisher.hpp"
#include "shared/util/error.hpp"
#include "shared/util/uuid.hpp"

namespace {

using namespace edgesync;
using Clock = std::chrono::steady_clock;

struct Settings {
    int sinks = 1000;
    int events = 2000;
    int warmup = 100;
    int rate = 500;  // events per second
};

// Microseconds from the event's "at" to now.
double latency_us(const LiveEvent& e) { return static_cast<double>((now() - e.at).count()); }

// Called on the hub thread only; read after the hub is stopped.
class TimingSink final : public server::LiveSink {
  public:
    TimingSink(const Settings& s, std::promise<void>* done) : m_settings(s), m_done(done) {
        m_us.reserve(static_cast<std::size_t>(s.events));
    }
    void on_event(const LiveEvent& e) override {
        const double us = latency_us(e);
        if (e.seq <= m_settings.warmup) return;
        m_us.push_back(us);
        if (m_done != nullptr && e.seq == m_settings.warmup + m_settings.events)
            m_done->set_value();
    }
    void on_presence(const PresenceChange&) override {}
    void on_resync() override {}
    void on_revoked() override {}

    std::vector<double> m_us;

  private:
    const Settings& m_settings;
    std::promise<void>* m_done;  // only the last sink subscribed signals the end
};

// Publishes warmup + events LiveEvents on the account's channel at the rate.
void publish_all(Publisher& publisher, const std::string& account, const Settings& s) {
    const auto interval = std::chrono::nanoseconds(1'000'000'000 / s.rate);
    auto next = Clock::now();
    for (int seq = 1; seq <= s.warmup + s.events; ++seq) {
        std::this_thread::sleep_until(next);
        next += interval;
        publish_live(publisher, account,
                     LiveEvent{seq, "state.put", "bench/key", "bench-device", seq, now()});
    }
}

struct Figures {
    double p50 = 0, p99 = 0, p999 = 0, max = 0;
    std::size_t count = 0;
};

Figures figures(std::vector<double> us) {
    Figures f;
    f.count = us.size();
    if (us.empty()) return f;
    std::sort(us.begin(), us.end());
    const auto rank = [&](double q) {
        const auto i = static_cast<std::size_t>(q * static_cast<double>(us.size() - 1));
        return us[i] / 1000.0;
    };
    f.p50 = rank(0.50);
    f.p99 = rank(0.99);
    f.p999 = rank(0.999);
    f.max = us.back() / 1000.0;
    return f;
}

void print(const char* what, const Figures& f) {
    fmt::print("{:<26} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>10}\n", what, f.p50, f.p99, f.p999,
               f.max, f.count);
    std::fflush(stdout);
}

// One plain subscriber on the account's channel: the Redis floor.
Figures run_raw(const RedisEndpoint& endpoint, Publisher& publisher, const Settings& s) {
    const auto account = new_uuid();
    RedisSubscriber subscriber(endpoint);
    subscriber.subscribe({redis_keys::account_channel(account)});
    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(s.events));
    std::exception_ptr failure;
    std::thread reader([&] {
        try {
            for (int got = 0; got < s.warmup + s.events;) {
                const auto m = subscriber.next_message(std::chrono::seconds(10));
                if (!m) throw Error("bench: the raw subscriber got nothing for 10 s");
                const auto parsed = parse_live_message(m->payload);
                const auto* e = parsed ? std::get_if<LiveEvent>(&*parsed) : nullptr;
                if (e == nullptr) continue;
                const double lat = latency_us(*e);
                ++got;
                if (e->seq > s.warmup) us.push_back(lat);
            }
        } catch (...) {
            failure = std::current_exception();
        }
    });
    publish_all(publisher, account, s);
    reader.join();
    if (failure) std::rethrow_exception(failure);
    return figures(std::move(us));
}

struct HubFigures {
    Figures every, last;
};

HubFigures run_hub(const RedisEndpoint& endpoint, Publisher& publisher, const Settings& s) {
    server::MetricsRegistry metrics;
    server::LiveHub hub(endpoint, metrics);
    hub.start();
    for (int i = 0; i < 500 && !hub.connected(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!hub.connected()) throw Error("bench: the hub did not connect to Redis");

    const auto account = new_uuid();
    std::promise<void> done;
    std::vector<std::shared_ptr<TimingSink>> sinks;
    std::vector<server::LiveHub::Subscription> subs;
    for (int i = 0; i < s.sinks; ++i) {
        sinks.push_back(std::make_shared<TimingSink>(s, i + 1 == s.sinks ? &done : nullptr));
        subs.push_back(hub.subscribe(
            {account, fmt::format("device-{}", i), fmt::format("session-{}", i)}, sinks.back()));
    }
    publish_all(publisher, account, s);
    if (done.get_future().wait_for(std::chrono::seconds(30)) != std::future_status::ready)
        throw Error("bench: the last sink did not get every event within 30 s");
    hub.stop();  // joins the hub thread: the samples are ours now

    std::vector<double> every;
    every.reserve(sinks.size() * static_cast<std::size_t>(s.events));
    for (const auto& sink : sinks) every.insert(every.end(), sink->m_us.begin(), sink->m_us.end());
    return {figures(std::move(every)), figures(sinks.back()->m_us)};
}

}  // namespace

int main(int argc, char** argv) try {
    CLI::App app{"bench_live_fanout: publish-to-sink latency through the live hub"};
    std::string url;
    Settings s;
    app.add_option("--redis-url", url, "Redis URL (default: REDIS_URL)");
    app.add_option("--sinks", s.sinks, "Sinks on one account")->check(CLI::Range(1, 100000));
    app.add_option("--events", s.events, "Events measured")->check(CLI::Range(1, 1000000));
    app.add_option("--warmup", s.warmup, "Events published first, not measured")
        ->check(CLI::Range(0, 100000));
    app.add_option("--rate", s.rate, "Events per second")->check(CLI::Range(1, 100000));
    CLI11_PARSE(app, argc, argv);
    if (url.empty()) url = Config::load({}).redis_url();
    const auto endpoint = parse_redis_url(url);

    RedisPool pool(endpoint, RedisPool::Options{});
    RedisPublisher publisher(pool);

    fmt::print("live fan-out: {} sinks on one account, {} events at {}/s (after {} warm-up)\n",
               s.sinks, s.events, s.rate, s.warmup);
    fmt::print("{:<26} {:>9} {:>9} {:>9} {:>9} {:>10}\n", "publish -> receive (ms)", "p50", "p99",
               "p99.9", "max", "samples");
    const auto raw = run_raw(endpoint, publisher, s);
    print("raw pub/sub, 1 reader", raw);
    const auto hub = run_hub(endpoint, publisher, s);
    print("hub, every sink", hub.every);
    print("hub, last sink", hub.last);
    fmt::print("ratio hub last sink / raw: p50 {:.2f}, p99 {:.2f}\n", hub.last.p50 / raw.p50,
               hub.last.p99 / raw.p99);
    return 0;
} catch (const std::exception& e) {
    fmt::print(stderr, "bench_live_fanout: error: {}\n", e.what());
    return 1;
}
