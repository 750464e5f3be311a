#pragma once

// Helpers for tests/integration/test_live_hub*.cpp: a sink that records what
// the hub hands it, and a fixture with a started hub on the test Redis plus a
// publisher. Messages go through the real Redis; "nothing arrived" is proven
// with a probe message published afterwards (one subscriber connection reads
// messages in publish order), never with a sleep.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "server/live_hub.hpp"
#include "server/metrics.hpp"
#include "shared/db/redis_client.hpp"
#include "shared/db/redis_keys.hpp"
#include "shared/db/redis_pool.hpp"
#include "shared/services/live_message.hpp"
#include "shared/services/redis_publisher.hpp"
#include "shared/services/revocation.hpp"
#include "shared/util/uuid.hpp"
#include "tests/integration/redis_test_support.hpp"

namespace edgesync::test {

inline constexpr auto k_wait = std::chrono::seconds(20);

class RecordingSink : public server::LiveSink {
  public:
    void on_event(const LiveEvent& e) override {
        record([&] { m_events.push_back(e); });
        if (m_on_event) m_on_event(e);
    }
    void on_presence(const PresenceChange& p) override {
        record([&] { m_presence.push_back(p); });
    }
    void on_resync() override {
        record([&] { ++m_resyncs; });
    }
    void on_revoked() override {
        record([&] { ++m_revoked; });
    }

    // Runs on the hub thread after an event is recorded (set before subscribing).
    std::function<void(const LiveEvent&)> m_on_event;

    [[nodiscard]] std::vector<LiveEvent> events() const {
        std::lock_guard lock(m_mutex);
        return m_events;
    }
    [[nodiscard]] std::vector<PresenceChange> presence() const {
        std::lock_guard lock(m_mutex);
        return m_presence;
    }
    [[nodiscard]] int resyncs() const {
        std::lock_guard lock(m_mutex);
        return m_resyncs;
    }
    [[nodiscard]] int revoked() const {
        std::lock_guard lock(m_mutex);
        return m_revoked;
    }

    // True once `done` holds (it runs under the sink's lock; use the m_ members).
    bool wait(const std::function<bool(const RecordingSink&)>& done) const {
        std::unique_lock lock(m_mutex);
        return m_changed.wait_for(lock, k_wait, [&] { return done(*this); });
    }
    bool wait_events(std::size_t n) const {
        return wait([n](const RecordingSink& s) { return s.m_events.size() >= n; });
    }
    bool wait_resyncs(int n) const {
        return wait([n](const RecordingSink& s) { return s.m_resyncs >= n; });
    }

    std::vector<LiveEvent> m_events;
    std::vector<PresenceChange> m_presence;
    int m_resyncs = 0;
    int m_revoked = 0;

  private:
    template <class F>
    void record(F f) {
        {
            std::lock_guard lock(m_mutex);
            f();
        }
        m_changed.notify_all();
    }
    mutable std::mutex m_mutex;
    mutable std::condition_variable m_changed;
};

inline LiveEvent make_event(std::int64_t seq, std::string key = "k") {
    return {seq, "state.put", std::move(key), "dev", seq, now()};
}

// The id of the client named `name`, from CLIENT LIST; -1 when absent.
inline std::int64_t client_id_by_name(const std::string& name) {
    RedisClient redis(redis_endpoint());
    std::istringstream lines(redis.command({"CLIENT", "LIST"}).as_string());
    for (std::string line; std::getline(lines, line);)
        if (line.find(" name=" + name + " ") != std::string::npos) {
            const auto p = line.find("id=") + 3;
            return std::stoll(line.substr(p, line.find(' ', p) - p));
        }
    return -1;
}

class LiveHubTest : public ::testing::Test {
  protected:
    LiveHubTest() : m_hub(redis_endpoint(), m_metrics, hub_options()) {}

    void SetUp() override {
        m_hub.start();
        ASSERT_TRUE(eventually([&] { return m_hub.connected(); }));
        m_probe_sub = m_hub.subscribe({m_probe_account, "probe-dev", "probe-session"}, m_probe);
    }

    [[nodiscard]] server::LiveHub::Options hub_options() const {
        server::LiveHub::Options o;
        o.poll_interval = std::chrono::milliseconds(50);
        o.reconnect_min = std::chrono::milliseconds(20);
        o.reconnect_max = std::chrono::milliseconds(200);
        o.client_name = m_client_name;
        return o;
    }

    void publish(const std::string& account, const LiveMessage& message) {
        publish_live(m_publisher, account, message);
    }
    void revoke(const RevocationNotice& notice) { publish_revocation(m_publisher, notice); }

    // Returns once the hub has handled everything published before the call.
    void flush() {
        const auto n = m_probe->events().size() + 1;
        publish(m_probe_account, make_event(static_cast<std::int64_t>(n)));
        ASSERT_TRUE(m_probe->wait_events(n));
    }

    [[nodiscard]] std::uint64_t messages(const char* type) {
        return m_metrics
            .counter("edgesync_live_messages_total",
                     "Messages read from the live channels, by type", {{"type", type}})
            .value();
    }

    const std::string m_client_name = "es-test-live-" + new_uuid();
    server::MetricsRegistry m_metrics;
    server::LiveHub m_hub;
    RedisPool m_pool{redis_endpoint(), small_pool()};
    RedisPublisher m_publisher{m_pool};
    const std::string m_probe_account = new_uuid();
    std::shared_ptr<RecordingSink> m_probe = std::make_shared<RecordingSink>();
    server::LiveHub::Subscription m_probe_sub;
};

}  // namespace edgesync::test
