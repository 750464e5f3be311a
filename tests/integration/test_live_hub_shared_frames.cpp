// server/live_hub: an event is encoded once per instance; every sink of the
// account gets the same encoded object (same bytes, not a copy each).
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "server/event_feed.hpp"
#include "tests/integration/live_hub_fixture.hpp"

namespace edgesync::test {
namespace {

// Records the encoded events the hub hands over (on_event is not called).
class EncodedSink final : public server::LiveSink {
  public:
    void on_event(const LiveEvent&) override { ++m_plain; }
    void on_encoded_event(const server::SharedEvent& e) override {
        {
            std::lock_guard lock(m_mutex);
            m_got.push_back(e);
        }
        m_changed.notify_all();
    }
    void on_presence(const PresenceChange&) override {}
    void on_resync() override {}
    void on_revoked() override {}

    [[nodiscard]] std::vector<server::SharedEvent> wait_for(std::size_t n) {
        std::unique_lock lock(m_mutex);
        m_changed.wait_for(lock, k_wait, [&] { return m_got.size() >= n; });
        return m_got;
    }
    std::atomic<int> m_plain{0};

  private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::vector<server::SharedEvent> m_got;
};

TEST_F(LiveHubTest, EverySinkGetsTheSameEncodedEventOncePerEvent) {
    const auto account = new_uuid();
    std::vector<std::shared_ptr<EncodedSink>> sinks;
    std::vector<server::LiveHub::Subscription> subs;
    for (int i = 0; i < 3; ++i) {
        sinks.push_back(std::make_shared<EncodedSink>());
        subs.push_back(m_hub.subscribe({account, "d", "s" + std::to_string(i)}, sinks.back()));
    }
    const auto first = make_event(1, "notes/a");
    const auto second = make_event(2, "notes/b");
    publish(account, first);
    publish(account, second);

    const auto got0 = sinks[0]->wait_for(2);
    ASSERT_EQ(got0.size(), 2u);
    EXPECT_EQ(got0[0]->event, first);  // in publish order
    EXPECT_EQ(got0[1]->event, second);
    EXPECT_EQ(got0[0]->sse, server::sse_event_frame(first));
    for (std::size_t i = 1; i < sinks.size(); ++i) {
        const auto got = sinks[i]->wait_for(2);
        ASSERT_EQ(got.size(), 2u);
        EXPECT_EQ(got[0].get(), got0[0].get());  // one encoding shared, not one per sink
        EXPECT_EQ(got[1].get(), got0[1].get());
    }
    for (const auto& s : sinks) EXPECT_EQ(s->m_plain.load(), 0);
}

TEST_F(LiveHubTest, ASinkWithoutAnEncodedOverrideStillGetsThePlainEvent) {
    const auto account = new_uuid();
    auto sink = std::make_shared<RecordingSink>();  // overrides on_event only
    const auto sub = m_hub.subscribe({account, "d", "s"}, sink);
    const auto e = make_event(1);
    publish(account, e);
    ASSERT_TRUE(sink->wait_events(1));
    EXPECT_EQ(sink->events(), std::vector<LiveEvent>{e});
}

}  // namespace
}  // namespace edgesync::test
