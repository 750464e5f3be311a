#include "server/live_hub.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/metrics.hpp"
#include "shared/config/config.hpp"
#include "shared/db/redis_keys.hpp"
#include "shared/db/redis_subscriber.hpp"
#include "shared/services/revocation.hpp"

namespace edgesync::server {

namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Commit-to-hand-off on one machine is sub-millisecond; across instances it
// includes the Redis hop and clock skew.
constexpr double k_lag_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                    0.1,    0.25,  0.5,    1.0,   2.5,  5.0};

constexpr std::string_view k_channel_head = "es:account:{";

// The account id of an account_channel() name, or empty.
std::string_view channel_account(std::string_view channel) {
    if (!channel.starts_with(k_channel_head) || !channel.ends_with('}')) return {};
    return channel.substr(k_channel_head.size(), channel.size() - k_channel_head.size() - 1);
}

// Heterogeneous lookup: find(string_view) without building a std::string.
struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};

using SinkList = std::vector<std::shared_ptr<LiveSink>>;

// Sinks must not throw (they post and return); one that does must not end the
// fan-out for the others, nor be taken for a Redis outage by the loop.
template <class Call>
void call_each(const SinkList& sinks, const char* what, Call call) noexcept {
    for (const auto& sink : sinks) {
        try {
            call(*sink);
        } catch (const std::exception& e) {
            spdlog::error("live hub: a sink's {} threw: {}", what, e.what());
        } catch (...) {
            spdlog::error("live hub: a sink's {} threw", what);
        }
    }
}

// A sink's lane: the same for its whole life, spread evenly (pointers are
// aligned, so their low bits alone would not be).
std::size_t lane_of(const LiveSink* sink, std::size_t lanes) {
    auto x = reinterpret_cast<std::uintptr_t>(sink);
    x ^= x >> 17;
    x *= 0x9E3779B97F4A7C15ULL;
    return static_cast<std::size_t>(x >> 32) % lanes;
}

// The same sink may hold several subscriptions: notify it once.
void unique_sinks(SinkList& sinks) {
    std::sort(sinks.begin(), sinks.end());
    sinks.erase(std::unique(sinks.begin(), sinks.end()), sinks.end());
}

}  // namespace

struct LiveHub::State {
    struct Entry {
        std::uint64_t id = 0;
        std::string device_id;
        std::string session_id;
        std::weak_ptr<LiveSink> sink;
    };
    // Per account, ordered by id (ids only grow and entries are appended), so
    // removing one is a binary search.
    using Entries = std::vector<Entry>;

    State(const RedisEndpoint& ep, MetricsRegistry& metrics, Options o)
        : endpoint(ep),
          options(std::move(o)),
          subscribers(metrics.gauge("edgesync_live_subscribers",
                                    "Live connections subscribed to this instance's hub")),
          events(message_counter(metrics, "event")),
          presence(message_counter(metrics, "presence")),
          revocations(message_counter(metrics, "revocation")),
          malformed(message_counter(metrics, "malformed")),
          reconnects(metrics.counter("edgesync_live_reconnects_total",
                                     "Times the hub's Redis subscription came back after an "
                                     "outage")),
          lag(metrics.histogram("edgesync_live_fanout_lag_seconds",
                                "From an event's commit time (\"at\") to its hand-off to this "
                                "instance's live connections",
                                {}, k_lag_buckets)) {
        if (options.client_name.find(' ') != std::string::npos)
            throw std::invalid_argument("LiveHub: client_name must not contain spaces");
    }

    static Counter& message_counter(MetricsRegistry& metrics, const char* type) {
        return metrics.counter("edgesync_live_messages_total",
                               "Messages read from the live channels, by type", {{"type", type}});
    }

    const RedisEndpoint endpoint;
    const Options options;
    Gauge& subscribers;
    Counter& events;
    Counter& presence;
    Counter& revocations;
    Counter& malformed;
    Counter& reconnects;
    Histogram& lag;

    mutable std::mutex mutex;
    std::unordered_map<std::string, Entries, StringHash, std::equal_to<>> accounts;  // guarded
    std::unordered_map<std::uint64_t, std::string> account_of;  // id -> account; guarded
    std::uint64_t next_id = 1;                                  // guarded

    std::vector<LiveHub::FanoutLane> lanes;  // set before start(), dropped by stop()

    // Calls `call` for each sink: on the hub's thread, or split over the lanes
    // (one job per lane that has sinks, the sinks' share of them each).
    template <class Call>
    void fan_out(SinkList sinks, const char* what, Call call) {
        if (lanes.empty()) return call_each(sinks, what, call);
        std::vector<SinkList> shares(lanes.size());
        for (auto& sink : sinks) {
            auto& share = shares[lane_of(sink.get(), lanes.size())];
            if (share.empty()) share.reserve(sinks.size() / lanes.size() + 8);
            share.push_back(std::move(sink));
        }
        for (std::size_t i = 0; i < lanes.size(); ++i) {
            if (shares[i].empty()) continue;
            try {
                lanes[i]([share = std::move(shares[i]), what, call] {
                    call_each(share, what, call);
                });
            } catch (const std::exception& e) {  // allocation: hand-off failed
                spdlog::error("live hub: fan-out lane refused a job: {}", e.what());
            }
        }
    }

    std::atomic<bool> up{false};
    std::atomic<bool> stopped{false};
    std::mutex run_mutex;  // guards `thread`, `started`; `wake` waits on it
    std::condition_variable wake;
    std::thread thread;
    bool started = false;

    void update_gauge_locked() { subscribers.set(static_cast<double>(account_of.size())); }

    std::uint64_t add(LiveScope scope, std::weak_ptr<LiveSink> sink) {
        std::lock_guard lock(mutex);
        const auto id = next_id++;
        auto& entries = accounts[scope.account_id];
        entries.push_back(
            {id, std::move(scope.device_id), std::move(scope.session_id), std::move(sink)});
        account_of.emplace(id, std::move(scope.account_id));
        update_gauge_locked();
        return id;
    }

    void remove(std::uint64_t id) noexcept {
        std::lock_guard lock(mutex);
        const auto owner = account_of.find(id);
        if (owner == account_of.end()) return;  // revoked or pruned already
        const auto it = accounts.find(owner->second);
        if (it != accounts.end()) {
            auto& entries = it->second;
            const auto pos = std::lower_bound(
                entries.begin(), entries.end(), id,
                [](const Entry& e, std::uint64_t wanted) { return e.id < wanted; });
            if (pos != entries.end() && pos->id == id) entries.erase(pos);
            if (entries.empty()) accounts.erase(it);
        }
        account_of.erase(owner);
        update_gauge_locked();
    }

    // Removes the entries of `it` for which `drop` holds; live sinks among them
    // go to `out` when given. Erases the account when nothing is left.
    template <class Drop>
    void remove_if_locked(decltype(accounts)::iterator it, Drop drop, SinkList* out) {
        std::erase_if(it->second, [&](const Entry& e) {
            if (!drop(e)) return false;
            if (out != nullptr)
                if (auto sink = e.sink.lock()) out->push_back(std::move(sink));
            account_of.erase(e.id);
            return true;
        });
        if (it->second.empty()) accounts.erase(it);
        update_gauge_locked();
    }

    // Every live sink of the account; prunes the ones that are gone.
    SinkList account_sinks(std::string_view account_id) {
        SinkList sinks;
        std::lock_guard lock(mutex);
        const auto it = accounts.find(account_id);
        if (it == accounts.end()) return sinks;
        sinks.reserve(it->second.size());
        bool dead = false;
        for (const auto& e : it->second) {
            if (auto sink = e.sink.lock())
                sinks.push_back(std::move(sink));
            else
                dead = true;
        }
        if (dead)
            remove_if_locked(
                it, [](const Entry& e) { return e.sink.expired(); }, nullptr);
        return sinks;
    }

    // The live sinks the notice revokes, their subscriptions removed.
    SinkList take_revoked(const RevocationNotice& notice) {
        SinkList sinks;
        {
            std::lock_guard lock(mutex);
            const auto it = accounts.find(notice.account_id);
            if (it == accounts.end()) return sinks;
            remove_if_locked(
                it,
                [&](const Entry& e) {
                    switch (notice.scope) {
                        case RevocationNotice::Scope::account:
                            return true;
                        case RevocationNotice::Scope::device:
                            return e.device_id == notice.device_id;
                        case RevocationNotice::Scope::session:
                            return e.session_id == notice.session_id;
                    }
                    return false;
                },
                &sinks);
        }
        unique_sinks(sinks);
        return sinks;
    }

    // Every live sink; prunes the ones that are gone.
    SinkList all_sinks() {
        SinkList sinks;
        {
            std::lock_guard lock(mutex);
            sinks.reserve(account_of.size());
            for (auto it = accounts.begin(); it != accounts.end();) {
                const auto next = std::next(it);
                for (const auto& e : it->second)
                    if (auto sink = e.sink.lock()) sinks.push_back(std::move(sink));
                remove_if_locked(
                    it, [](const Entry& e) { return e.sink.expired(); }, nullptr);
                it = next;
            }
        }
        unique_sinks(sinks);
        return sinks;
    }

    void deliver_account(std::string_view account_id, std::string_view payload) {
        const auto message = parse_live_message(payload);
        if (!message) {
            malformed.inc();
            return;
        }
        if (const auto* e = std::get_if<LiveEvent>(&*message)) {
            events.inc();
            const auto sinks = account_sinks(account_id);
            if (sinks.empty()) return;
            const std::chrono::duration<double> behind = now() - e->at;
            lag.observe(std::max(0.0, behind.count()));  // clocks of two hosts may disagree
            // Encoded once here, shared by every stream of the instance.
            fan_out(std::move(sinks), "on_event",
                    [encoded = encode_event(*e)](LiveSink& s) { s.on_encoded_event(encoded); });
        } else {
            const auto& p = std::get<PresenceChange>(*message);
            presence.inc();
            fan_out(account_sinks(account_id), "on_presence",
                    [p](LiveSink& s) { s.on_presence(p); });
        }
    }

    void deliver(std::string_view channel, std::string_view payload) {
        if (stopped.load()) return;
        if (channel == redis_keys::k_revocations_channel) {
            const auto notice = parse_revocation(payload);
            if (!notice) {
                malformed.inc();
                return;
            }
            revocations.inc();
            call_each(take_revoked(*notice), "on_revoked", [](LiveSink& s) { s.on_revoked(); });
            return;
        }
        const auto account_id = channel_account(channel);
        if (account_id.empty()) {
            malformed.inc();
            return;
        }
        deliver_account(account_id, payload);
    }

    // Waits `delay` unless stop() comes first; false when stopping.
    bool pause(milliseconds delay) {
        std::unique_lock lock(run_mutex);
        return !wake.wait_for(lock, delay, [this] { return stopped.load(); });
    }

    RedisOptions redis_options() const {
        RedisOptions o;
        o.connect_timeout = milliseconds(2000);
        o.command_timeout = milliseconds(5000);
        o.client_name = options.client_name;
        return o;
    }

    void run();
};

// A fresh connection per attempt (rather than RedisSubscriber::reconnect())
// so a connection that failed half-way through subscribing is never reused
// with one of its two subscriptions missing.
void LiveHub::State::run() {
    std::minstd_rand random(std::random_device{}());
    auto backoff = options.reconnect_min;
    bool outage = false;
    auto outage_began = SteadyClock::now();
    const auto lost = [&](const char* what, const std::exception& e) {
        up.store(false);
        if (outage) return;  // one line per outage, not one per attempt
        outage = true;
        outage_began = SteadyClock::now();
        spdlog::warn("live hub: {}: {}; retrying with backoff (live hints are lost meanwhile)",
                     what, e.what());
    };

    while (!stopped.load()) {
        std::optional<RedisSubscriber> subscriber;
        try {
            subscriber.emplace(endpoint, redis_options());
            subscriber->psubscribe({std::string(redis_keys::k_account_channel_pattern)});
            subscriber->subscribe({std::string(redis_keys::k_revocations_channel)});
        } catch (const std::exception& e) {
            lost("cannot subscribe to Redis", e);
            // Equal jitter: [backoff/2, backoff], so instances cut off
            // together do not come back in lockstep.
            const auto half = backoff.count() / 2;
            const auto delay = milliseconds(
                half + std::uniform_int_distribution<milliseconds::rep>(0, half)(random));
            backoff = std::min(backoff * 2, options.reconnect_max);
            if (!pause(delay)) break;
            continue;
        }
        backoff = options.reconnect_min;
        if (outage) {
            outage = false;
            reconnects.inc();
            const auto ms =
                std::chrono::duration_cast<milliseconds>(SteadyClock::now() - outage_began);
            spdlog::info("live hub: Redis subscription back after {} ms; live connections resync",
                         ms.count());
        }
        // Whatever was published while no subscription existed is lost: every
        // sink re-reads from its cursor (a no-op at the first start).
        call_each(all_sinks(), "on_resync", [](LiveSink& s) { s.on_resync(); });
        up.store(true);  // after the resync: connected() implies it was sent
        try {
            while (!stopped.load())
                if (auto m = subscriber->next_message(options.poll_interval))
                    deliver(m->channel, m->payload);
        } catch (const std::exception& e) {
            lost("Redis subscriber connection lost", e);  // reconnect at once, then back off
        }
    }
    up.store(false);
}

LiveHub::Subscription::Subscription(std::weak_ptr<void> hub_state, std::uint64_t id) noexcept
    : m_hub(std::move(hub_state)), m_id(id) {}

LiveHub::Subscription::Subscription(Subscription&& other) noexcept
    : m_hub(std::move(other.m_hub)), m_id(std::exchange(other.m_id, 0)) {}

LiveHub::Subscription& LiveHub::Subscription::operator=(Subscription&& other) noexcept {
    if (this != &other) {
        reset();
        m_hub = std::move(other.m_hub);
        m_id = std::exchange(other.m_id, 0);
    }
    return *this;
}

LiveHub::Subscription::~Subscription() { reset(); }

void LiveHub::Subscription::reset() noexcept {
    if (m_id == 0) return;
    if (const auto hub = m_hub.lock()) static_cast<State*>(hub.get())->remove(m_id);
    m_hub.reset();
    m_id = 0;
}

LiveHub::LiveHub(const RedisEndpoint& endpoint, MetricsRegistry& metrics, Options options)
    : m_state(std::make_shared<State>(endpoint, metrics, std::move(options))) {}

LiveHub::LiveHub(const RedisEndpoint& endpoint, MetricsRegistry& metrics)
    : LiveHub(endpoint, metrics, Options{}) {}

LiveHub::~LiveHub() { stop(); }

void LiveHub::start() {
    std::lock_guard lock(m_state->run_mutex);
    if (m_state->started || m_state->stopped.load()) return;
    m_state->started = true;
    m_state->thread = std::thread([state = m_state] { state->run(); });
}

void LiveHub::stop() noexcept {
    auto& s = *m_state;
    std::thread thread;
    {
        std::lock_guard lock(s.run_mutex);
        s.stopped.store(true);
        thread = std::move(s.thread);
    }
    s.wake.notify_all();
    if (thread.joinable()) {
        if (thread.get_id() == std::this_thread::get_id()) {
            thread.detach();  // misuse (stop from a sink callback): the loop ends on its own
            return;           // and may still fan out: the lanes stay
        }
        thread.join();
    }
    s.lanes.clear();
}

void LiveHub::set_fanout_lanes(std::vector<FanoutLane> lanes) {
    std::lock_guard lock(m_state->run_mutex);
    if (m_state->started) throw std::logic_error("LiveHub::set_fanout_lanes after start()");
    m_state->lanes = std::move(lanes);
}

LiveHub::Subscription LiveHub::subscribe(LiveScope scope, std::weak_ptr<LiveSink> sink) {
    if (scope.account_id.empty()) throw std::invalid_argument("LiveHub::subscribe: no account id");
    const auto id = m_state->add(std::move(scope), std::move(sink));
    return Subscription(std::weak_ptr<void>(m_state), id);
}

void LiveHub::deliver(std::string_view channel, std::string_view payload) {
    m_state->deliver(channel, payload);
}

std::size_t LiveHub::subscriber_count() const {
    std::lock_guard lock(m_state->mutex);
    return m_state->account_of.size();
}

bool LiveHub::connected() const noexcept { return m_state->up.load(); }

}  // namespace edgesync::server
