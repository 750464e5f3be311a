#include <gtest/gtest.h>

#include <sstream>

#include "shared/db/redis_client.hpp"
#include "shared/db/redis_keys.hpp"
#include "shared/db/redis_subscriber.hpp"
#include "shared/util/error.hpp"
#include "shared/util/uuid.hpp"
#include "tests/integration/redis_test_support.hpp"

namespace edgesync {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class RedisSubscriberTest : public ::testing::Test {
  protected:
    RedisClient m_publisher{test::redis_endpoint()};
    const std::string m_channel = "es:test:" + new_uuid();

    // A subscription is live once subscribe() returns, so Redis must count the
    // subscriber as a receiver.
    void publish(const std::string& channel, const std::string& message) {
        ASSERT_GE(m_publisher.publish(channel, message), 1);
    }
};

TEST_F(RedisSubscriberTest, ReceivesMessagesPublishedToSubscribedChannel) {
    RedisSubscriber sub(test::redis_endpoint());
    sub.subscribe({m_channel});
    EXPECT_EQ(sub.subscription_count(), 1);
    publish(m_channel, "one");
    publish(m_channel, "two");
    const auto first = sub.next_message(seconds(10));
    ASSERT_TRUE(first);
    EXPECT_EQ(first->channel, m_channel);
    EXPECT_EQ(first->payload, "one");
    EXPECT_TRUE(first->pattern.empty());
    const auto second = sub.next_message(seconds(10));
    ASSERT_TRUE(second);
    EXPECT_EQ(second->payload, "two");
}

TEST_F(RedisSubscriberTest, PayloadsAreBinarySafe) {
    RedisSubscriber sub(test::redis_endpoint());
    sub.subscribe({m_channel});
    const std::string blob("\0\xff\r\n*3\r\n", 9);
    publish(m_channel, blob);
    const auto m = sub.next_message(seconds(10));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->payload, blob);
}

TEST_F(RedisSubscriberTest, TimeoutReturnsNothingAndKeepsTheConnection) {
    RedisSubscriber sub(test::redis_endpoint());
    sub.subscribe({m_channel});
    EXPECT_FALSE(sub.next_message(milliseconds(0)));
    EXPECT_FALSE(sub.next_message(milliseconds(50)));
    EXPECT_TRUE(sub.is_connected());
    publish(m_channel, "late");
    const auto m = sub.next_message(seconds(10));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->payload, "late");
}

TEST_F(RedisSubscriberTest, PatternSubscriptionReportsPatternAndChannel) {
    RedisSubscriber sub(test::redis_endpoint());
    const auto aid = new_uuid();
    sub.psubscribe({"es:account:{" + aid + "*"});
    publish(redis_keys::account_channel(aid), R"({"seq":1})");
    const auto m = sub.next_message(seconds(10));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->channel, redis_keys::account_channel(aid));
    EXPECT_EQ(m->pattern, "es:account:{" + aid + "*");
    EXPECT_EQ(m->payload, R"({"seq":1})");
}

TEST_F(RedisSubscriberTest, UnsubscribeStopsDelivery) {
    const auto other = m_channel + ":other";
    RedisSubscriber sub(test::redis_endpoint());
    sub.subscribe({m_channel, other});
    EXPECT_EQ(sub.subscription_count(), 2);
    sub.unsubscribe({m_channel});
    EXPECT_EQ(sub.subscription_count(), 1);
    EXPECT_EQ(m_publisher.publish(m_channel, "dropped"), 0);
    publish(other, "kept");
    const auto m = sub.next_message(seconds(10));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->channel, other);
    EXPECT_EQ(m->payload, "kept");
}

TEST_F(RedisSubscriberTest, MessagesArrivingDuringSubscribeAreKept) {
    RedisSubscriber sub(test::redis_endpoint());
    sub.subscribe({m_channel});
    publish(m_channel, "before-second-subscribe");
    sub.subscribe({m_channel + ":2"});  // reads the message while awaiting confirmation
    const auto m = sub.next_message(seconds(10));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->payload, "before-second-subscribe");
}

// The id of the client named `name`, from CLIENT LIST.
std::int64_t client_id_by_name(RedisClient& redis, const std::string& name) {
    std::istringstream lines(redis.command({"CLIENT", "LIST"}).as_string());
    for (std::string line; std::getline(lines, line);)
        if (line.find(" name=" + name + " ") != std::string::npos) {
            const auto p = line.find("id=") + 3;
            return std::stoll(line.substr(p, line.find(' ', p) - p));
        }
    return -1;
}

TEST_F(RedisSubscriberTest, ReconnectRestoresSubscriptionsAfterConnectionLoss) {
    RedisOptions options;
    options.client_name = "es-test-sub-" + new_uuid();
    RedisSubscriber sub(test::redis_endpoint(), options);
    sub.subscribe({m_channel});
    const auto aid = new_uuid();
    sub.psubscribe({redis_keys::account_channel(aid)});
    const auto id = client_id_by_name(m_publisher, options.client_name);
    ASSERT_GT(id, 0);
    test::kill_client(id);
    EXPECT_THROW((void)sub.next_message(seconds(10)), ConnectionError);
    EXPECT_FALSE(sub.is_connected());
    EXPECT_THROW((void)sub.next_message(milliseconds(0)), ConnectionError);

    sub.reconnect();
    EXPECT_TRUE(sub.is_connected());
    EXPECT_EQ(sub.subscription_count(), 2);
    publish(m_channel, "after");
    const auto m = sub.next_message(seconds(10));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->payload, "after");
}

TEST(RedisSubscriberConnect, UnreachableRedisThrowsConnectionError) {
    RedisEndpoint ep;
    ep.port = 1;
    EXPECT_THROW(RedisSubscriber{ep}, ConnectionError);
}

TEST(RedisSubscriberConnect, EmptyChannelListIsRejected) {
    RedisSubscriber sub(test::redis_endpoint());
    EXPECT_THROW(sub.subscribe({}), std::invalid_argument);
}

}  // namespace
}  // namespace edgesync
