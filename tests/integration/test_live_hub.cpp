// server/live_hub: fan-out of es:account:{aid} and es:revocations to the sinks
// of this instance, through the real Redis. Lifecycle (reconnect, stop, scale):
// test_live_hub_lifecycle.cpp.
#include <gtest/gtest.h>

#include "tests/integration/live_hub_fixture.hpp"

namespace edgesync::test {
namespace {

using Sink = std::shared_ptr<RecordingSink>;

Sink make_sink() { return std::make_shared<RecordingSink>(); }

TEST_F(LiveHubTest, EventsReachEverySinkOfTheirAccountAndNoOther) {
    const auto a = new_uuid();
    const auto b = new_uuid();
    auto a1 = make_sink(), a2 = make_sink(), b1 = make_sink();
    const auto s1 = m_hub.subscribe({a, "d1", "s1"}, a1);
    const auto s2 = m_hub.subscribe({a, "d2", "s2"}, a2);
    const auto s3 = m_hub.subscribe({b, "d3", "s3"}, b1);

    const auto first = make_event(1, "notes/a");
    const auto second = make_event(2, "notes/b");
    publish(a, first);
    publish(a, second);
    ASSERT_TRUE(a1->wait_events(2));
    ASSERT_TRUE(a2->wait_events(2));
    flush();

    EXPECT_EQ(a1->events(), (std::vector<LiveEvent>{first, second}));  // in publish order
    EXPECT_EQ(a2->events(), (std::vector<LiveEvent>{first, second}));
    EXPECT_TRUE(b1->events().empty());
    EXPECT_TRUE(a1->presence().empty());
    EXPECT_EQ(a1->revoked(), 0);
    EXPECT_GE(messages("event"), 2u);
}

TEST_F(LiveHubTest, PresenceChangesReachTheSinksOfTheirAccount) {
    const auto a = new_uuid();
    auto a1 = make_sink(), other = make_sink();
    const auto s1 = m_hub.subscribe({a, "d1", "s1"}, a1);
    const auto s2 = m_hub.subscribe({new_uuid(), "d2", "s2"}, other);

    const PresenceChange p{"d9", "online", now()};
    publish(a, p);
    ASSERT_TRUE(a1->wait([](const RecordingSink& s) { return !s.m_presence.empty(); }));
    flush();
    EXPECT_EQ(a1->presence(), std::vector<PresenceChange>{p});
    EXPECT_TRUE(a1->events().empty());
    EXPECT_TRUE(other->presence().empty());
    EXPECT_GE(messages("presence"), 1u);
}

TEST_F(LiveHubTest, AccountRevocationClosesEverySinkOfTheAccountOnce) {
    const auto a = new_uuid();
    const auto b = new_uuid();
    auto a1 = make_sink(), a2 = make_sink(), b1 = make_sink();
    const auto s1 = m_hub.subscribe({a, "d1", "s1"}, a1);
    const auto s2 = m_hub.subscribe({a, "d2", "s2"}, a2);
    const auto s3 = m_hub.subscribe({b, "d1", "s1"}, b1);  // same ids, other account
    const auto before = m_hub.subscriber_count();

    revoke(RevocationNotice::for_account(a));
    revoke(RevocationNotice::for_account(a));  // the subscriptions are gone: no second call
    publish(a, make_event(1));                 // nor any event
    flush();

    EXPECT_EQ(a1->revoked(), 1);
    EXPECT_EQ(a2->revoked(), 1);
    EXPECT_EQ(b1->revoked(), 0);
    EXPECT_TRUE(a1->events().empty());
    EXPECT_EQ(m_hub.subscriber_count(), before - 2);
    EXPECT_GE(messages("revocation"), 2u);
}

TEST_F(LiveHubTest, DeviceRevocationClosesOnlyThatDevicesSinks) {
    const auto a = new_uuid();
    auto phone1 = make_sink(), phone2 = make_sink(), laptop = make_sink(), elsewhere = make_sink();
    const auto s1 = m_hub.subscribe({a, "phone", "s1"}, phone1);
    const auto s2 = m_hub.subscribe({a, "phone", "s2"}, phone2);
    const auto s3 = m_hub.subscribe({a, "laptop", "s3"}, laptop);
    const auto s4 = m_hub.subscribe({new_uuid(), "phone", "s1"}, elsewhere);

    revoke(RevocationNotice::for_device(a, "phone"));
    revoke(RevocationNotice::for_device(a, "phone"));
    publish(a, make_event(1));
    ASSERT_TRUE(laptop->wait_events(1));
    flush();

    EXPECT_EQ(phone1->revoked(), 1);
    EXPECT_EQ(phone2->revoked(), 1);
    EXPECT_EQ(laptop->revoked(), 0);
    EXPECT_EQ(elsewhere->revoked(), 0);
    EXPECT_TRUE(phone1->events().empty());  // unsubscribed by the revocation
}

TEST_F(LiveHubTest, SessionRevocationClosesOnlyThatSessionsSinks) {
    const auto a = new_uuid();
    auto tab1 = make_sink(), tab2 = make_sink(), other_session = make_sink();
    const auto s1 = m_hub.subscribe({a, "browser", "s1"}, tab1);  // two tabs, one session
    const auto s2 = m_hub.subscribe({a, "browser", "s1"}, tab2);
    const auto s3 = m_hub.subscribe({a, "browser", "s2"}, other_session);

    revoke(RevocationNotice::for_session(a, "s1"));
    revoke(RevocationNotice::for_session(a, "s1"));
    flush();

    EXPECT_EQ(tab1->revoked(), 1);
    EXPECT_EQ(tab2->revoked(), 1);
    EXPECT_EQ(other_session->revoked(), 0);
}

TEST_F(LiveHubTest, ASinkHoldingTwoSubscriptionsIsRevokedOnce) {
    const auto a = new_uuid();
    auto sink = make_sink();
    const auto s1 = m_hub.subscribe({a, "d1", "s1"}, sink);
    const auto s2 = m_hub.subscribe({a, "d1", "s1"}, sink);
    revoke(RevocationNotice::for_device(a, "d1"));
    flush();
    EXPECT_EQ(sink->revoked(), 1);
}

TEST_F(LiveHubTest, DestroyedSubscriptionReceivesNothing) {
    const auto a = new_uuid();
    auto gone = make_sink(), kept = make_sink();
    auto sub = m_hub.subscribe({a, "d1", "s1"}, gone);
    const auto keep = m_hub.subscribe({a, "d2", "s2"}, kept);
    const auto before = m_hub.subscriber_count();
    { const auto dropped = std::move(sub); }  // moved-from `sub` is empty; `dropped` unsubscribes
    EXPECT_FALSE(sub);
    EXPECT_EQ(m_hub.subscriber_count(), before - 1);

    publish(a, make_event(1));
    revoke(RevocationNotice::for_account(a));
    ASSERT_TRUE(kept->wait_events(1));
    flush();
    EXPECT_TRUE(gone->events().empty());
    EXPECT_EQ(gone->revoked(), 0);
    EXPECT_EQ(kept->revoked(), 1);
}

TEST_F(LiveHubTest, ExpiredSinkIsSkippedAndPruned) {
    const auto a = new_uuid();
    auto dying = make_sink(), alive = make_sink();
    const auto sub = m_hub.subscribe({a, "d1", "s1"}, dying);
    const auto keep = m_hub.subscribe({a, "d2", "s2"}, alive);
    const std::weak_ptr<RecordingSink> watch = dying;
    dying.reset();  // the connection is gone; its Subscription still exists
    ASSERT_TRUE(watch.expired());
    const auto before = m_hub.subscriber_count();

    publish(a, make_event(1));
    ASSERT_TRUE(alive->wait_events(1));
    flush();
    EXPECT_EQ(m_hub.subscriber_count(), before - 1);
}

TEST_F(LiveHubTest, ASinkMayUnsubscribeFromItsOwnCallback) {
    const auto a = new_uuid();
    auto sink = make_sink();
    auto sub = std::make_shared<server::LiveHub::Subscription>();
    sink->m_on_event = [sub](const LiveEvent&) { sub->reset(); };
    *sub = m_hub.subscribe({a, "d1", "s1"}, sink);
    const auto before = m_hub.subscriber_count();

    publish(a, make_event(1));
    publish(a, make_event(2));
    flush();
    EXPECT_EQ(sink->events().size(), 1u);
    EXPECT_EQ(m_hub.subscriber_count(), before - 1);
}

TEST_F(LiveHubTest, MalformedMessagesAreCountedAndDropped) {
    const auto a = new_uuid();
    auto sink = make_sink();
    const auto sub = m_hub.subscribe({a, "d1", "s1"}, sink);
    const auto malformed_before = messages("malformed");

    m_publisher.publish(redis_keys::account_channel(a), "not json");
    m_publisher.publish(redis_keys::account_channel(a), R"({"type":"event","seq":0})");
    m_publisher.publish(std::string(redis_keys::k_revocations_channel), R"({"device":"d1"})");
    m_publisher.publish(std::string(redis_keys::k_revocations_channel), "\xff");
    flush();

    EXPECT_GE(messages("malformed"), malformed_before + 4);
    EXPECT_TRUE(sink->events().empty());
    EXPECT_EQ(sink->revoked(), 0);
}

TEST_F(LiveHubTest, FanoutLagIsObservedForEventsHandedToSinks) {
    flush();  // the probe's event reached a sink
    const auto text = m_metrics.render();
    const std::string name = "edgesync_live_fanout_lag_seconds_count ";
    const auto at = text.find(name);
    ASSERT_NE(at, std::string::npos) << text;
    EXPECT_GE(std::stod(text.substr(at + name.size())), 1.0);
}

}  // namespace
}  // namespace edgesync::test
