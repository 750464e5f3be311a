// server/live_hub lifecycle: reconnect and resync after the subscriber
// connection is cut, stop(), and 10,000 subscriptions.
#include <gtest/gtest.h>

#include "tests/integration/live_hub_fixture.hpp"

namespace edgesync::test {
namespace {

using Sink = std::shared_ptr<RecordingSink>;

TEST_F(LiveHubTest, ReconnectsAfterTheConnectionIsCutAndResyncsEverySink) {
    const auto a = new_uuid();
    const auto b = new_uuid();
    auto a1 = std::make_shared<RecordingSink>(), b1 = std::make_shared<RecordingSink>();
    const auto s1 = m_hub.subscribe({a, "d1", "s1"}, a1);
    const auto s2 = m_hub.subscribe({b, "d2", "s2"}, b1);
    auto& reconnects = m_metrics.counter("edgesync_live_reconnects_total", "");
    ASSERT_EQ(a1->resyncs(), 0);  // subscribed while connected: nothing to catch up on

    // Only this hub's connection: CLIENT KILL TYPE pubsub would also cut the
    // subscribers of tests running in parallel against the same Redis.
    const auto id = client_id_by_name(m_client_name);
    ASSERT_GT(id, 0);
    kill_client(id);

    ASSERT_TRUE(a1->wait_resyncs(1));
    ASSERT_TRUE(b1->wait_resyncs(1));
    ASSERT_TRUE(m_probe->wait_resyncs(1));
    EXPECT_EQ(reconnects.value(), 1u);
    ASSERT_TRUE(eventually([&] { return m_hub.connected(); }));
    EXPECT_NE(client_id_by_name(m_client_name), id);

    const auto e = make_event(5);
    publish(a, e);
    ASSERT_TRUE(a1->wait_events(1));
    EXPECT_EQ(a1->events(), std::vector<LiveEvent>{e});
    revoke(RevocationNotice::for_account(b));
    ASSERT_TRUE(b1->wait([](const RecordingSink& s) { return s.m_revoked == 1; }));
    EXPECT_EQ(a1->resyncs(), 1);
}

TEST_F(LiveHubTest, StopIsIdempotentAndEndsDelivery) {
    const auto a = new_uuid();
    auto sink = std::make_shared<RecordingSink>();
    const auto sub = m_hub.subscribe({a, "d1", "s1"}, sink);
    m_hub.stop();
    EXPECT_FALSE(m_hub.connected());
    m_hub.stop();
    m_hub.start();  // once only: no restart after stop
    EXPECT_FALSE(m_hub.connected());
    EXPECT_TRUE(eventually([&] { return client_id_by_name(m_client_name) == -1; }));  // closed

    m_hub.deliver(redis_keys::account_channel(a), live_message(make_event(1)));
    m_hub.deliver(redis_keys::k_revocations_channel,
                  revocation_message(RevocationNotice::for_account(a)));
    EXPECT_TRUE(sink->events().empty());
    EXPECT_EQ(sink->revoked(), 0);
}

TEST(LiveHub, StopReturnsWhileRedisIsUnreachable) {
    auto endpoint = redis_endpoint();
    endpoint.port = 1;  // nothing listens there
    server::MetricsRegistry metrics;
    server::LiveHub hub(endpoint, metrics);
    hub.start();
    EXPECT_FALSE(hub.connected());
    hub.stop();
    hub.stop();
    EXPECT_FALSE(hub.connected());
}

TEST(LiveHub, DeliverNeedsNoStartAndStopWithoutStartIsHarmless) {
    server::MetricsRegistry metrics;
    server::LiveHub hub(redis_endpoint(), metrics);
    auto sink = std::make_shared<RecordingSink>();
    const auto aid = new_uuid();
    const auto sub = hub.subscribe({aid, "d1", "s1"}, sink);
    hub.deliver(redis_keys::account_channel(aid), live_message(make_event(3)));  // synchronous
    EXPECT_EQ(sink->events().size(), 1u);
    EXPECT_THROW((void)hub.subscribe({"", "d", "s"}, sink), std::invalid_argument);
    hub.stop();
}

TEST(LiveHub, UnknownChannelsAreCountedAsMalformed) {
    server::MetricsRegistry metrics;
    server::LiveHub hub(redis_endpoint(), metrics);
    const auto event = live_message(make_event(1));
    for (const char* channel : {"es:other", "es:account:{}", "es:account:x", "es:revocations:2"})
        hub.deliver(channel, event);
    EXPECT_EQ(metrics.counter("edgesync_live_messages_total", "", {{"type", "malformed"}}).value(),
              4u);
    EXPECT_EQ(metrics.counter("edgesync_live_messages_total", "", {{"type", "event"}}).value(), 0u);
}

TEST_F(LiveHubTest, TenThousandSubscriptionsAreCountedAndRemoved) {
    constexpr std::size_t k_total = 10'000;
    constexpr std::size_t k_on_big_account = 1'000;
    const auto base = m_hub.subscriber_count();
    auto& gauge = m_metrics.gauge("edgesync_live_subscribers", "");
    const auto big = new_uuid();
    std::vector<std::string> accounts;
    for (int i = 0; i < 90; ++i) accounts.push_back(new_uuid());

    std::vector<Sink> sinks;
    std::vector<server::LiveHub::Subscription> subs;
    sinks.reserve(k_total);
    subs.reserve(k_total);
    for (std::size_t i = 0; i < k_total; ++i) {
        sinks.push_back(std::make_shared<RecordingSink>());
        const auto& account = i < k_on_big_account ? big : accounts[i % accounts.size()];
        subs.push_back(m_hub.subscribe(
            {account, "d" + std::to_string(i % 7), "s" + std::to_string(i)}, sinks.back()));
    }
    EXPECT_EQ(m_hub.subscriber_count(), base + k_total);
    EXPECT_EQ(gauge.value(), static_cast<double>(base + k_total));

    publish(big, make_event(1));
    ASSERT_TRUE(sinks[k_on_big_account - 1]->wait_events(1));
    flush();
    for (std::size_t i = 0; i < k_total; ++i)
        ASSERT_EQ(sinks[i]->events().size(), i < k_on_big_account ? 1u : 0u) << i;

    for (std::size_t i = 0; i < k_total; i += 2) subs[i].reset();  // every other one
    EXPECT_EQ(m_hub.subscriber_count(), base + k_total / 2);
    publish(big, make_event(2));
    ASSERT_TRUE(sinks[k_on_big_account - 1]->wait_events(2));
    flush();
    for (std::size_t i = 0; i < k_on_big_account; ++i)
        ASSERT_EQ(sinks[i]->events().size(), i % 2 == 0 ? 1u : 2u) << i;

    subs.clear();
    EXPECT_EQ(m_hub.subscriber_count(), base);
    EXPECT_EQ(gauge.value(), static_cast<double>(base));
}

}  // namespace
}  // namespace edgesync::test
