#include <gtest/gtest.h>

#include "shared/db/redis_client.hpp"
#include "shared/util/error.hpp"
#include "shared/util/uuid.hpp"
#include "tests/integration/redis_test_support.hpp"

namespace edgesync {
namespace {

class RedisClientTest : public ::testing::Test {
  protected:
    RedisClient m_redis{test::redis_endpoint()};
    const std::string m_prefix = "es:test:{" + new_uuid() + "}:";  // keys of this test only

    [[nodiscard]] std::string key(const std::string& name) const { return m_prefix + name; }
    void TearDown() override {
        (void)m_redis.command_raw({"DEL", key("a"), key("b"), key("n"), key("bin"), key("list")});
    }
};

TEST_F(RedisClientTest, CommandsReturnEveryReplyType) {
    EXPECT_TRUE(m_redis.command({"SET", key("a"), "1"}).is_status("OK"));
    EXPECT_EQ(m_redis.command({"GET", key("a")}).as_optional_string(), "1");
    EXPECT_TRUE(m_redis.command({"GET", key("missing")}).is_nil());
    EXPECT_EQ(m_redis.command({"INCR", key("n")}).as_integer(), 1);
    const auto arr = m_redis.command({"MGET", key("a"), key("missing")});
    ASSERT_EQ(arr.as_array().size(), 2u);
    EXPECT_EQ(arr.as_array()[0].as_string(), "1");
    EXPECT_TRUE(arr.as_array()[1].is_nil());
}

TEST_F(RedisClientTest, ValuesAreBinarySafe) {
    std::string blob;
    for (int i = 0; i < 256; ++i) blob.push_back(static_cast<char>(i));
    blob += std::string("\0\r\n$*", 5);
    const auto bin_key = key(std::string("bin\0\r\n", 6));
    m_redis.command({"SET", bin_key, blob});
    EXPECT_EQ(m_redis.command({"GET", bin_key}).as_optional_string(), blob);
    EXPECT_EQ(m_redis.command({"STRLEN", bin_key}).as_integer(),
              static_cast<std::int64_t>(blob.size()));
    (void)m_redis.command({"DEL", bin_key});
}

TEST_F(RedisClientTest, ErrorReplyThrowsStorageErrorOrIsReturnedWhenAskedFor) {
    m_redis.command({"SET", key("a"), "not a number"});
    EXPECT_THROW(m_redis.command({"INCR", key("a")}), StorageError);
    const auto raw = m_redis.command_raw({"INCR", key("a")});
    ASSERT_TRUE(raw.is_error());
    EXPECT_NE(raw.as_string().find("not an integer"), std::string::npos);
    // The connection stays usable after an error reply.
    EXPECT_EQ(m_redis.command({"GET", key("a")}).as_optional_string(), "not a number");
}

TEST_F(RedisClientTest, UnknownCommandErrorDoesNotEchoArguments) {
    try {
        m_redis.command({"NOSUCHCOMMAND", "secret-value"});
        FAIL() << "expected StorageError";
    } catch (const StorageError& e) {
        EXPECT_EQ(std::string(e.what()).find("secret-value"), std::string::npos) << e.what();
    }
}

TEST_F(RedisClientTest, PipelineReturnsRepliesInOrder) {
    std::vector<std::vector<std::string>> cmds;
    for (int i = 0; i < 100; ++i) cmds.push_back({"INCR", key("n")});
    cmds.push_back({"GET", key("n")});
    const auto replies = m_redis.pipeline(cmds);
    ASSERT_EQ(replies.size(), 101u);
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(replies[static_cast<std::size_t>(i)].as_integer(), i + 1);
    EXPECT_EQ(replies[100].as_string(), "100");
    EXPECT_TRUE(m_redis.pipeline({}).empty());
}

TEST_F(RedisClientTest, PipelineWithErrorReadsAllRepliesThenThrows) {
    m_redis.command({"SET", key("a"), "x"});
    EXPECT_THROW(m_redis.pipeline({{"INCR", key("a")}, {"SET", key("b"), "after"}}), StorageError);
    // The command after the failing one still ran, and the connection is in step.
    EXPECT_EQ(m_redis.command({"GET", key("b")}).as_optional_string(), "after");
    const auto raw = m_redis.pipeline_raw({{"INCR", key("a")}, {"PING"}});
    ASSERT_EQ(raw.size(), 2u);
    EXPECT_TRUE(raw[0].is_error());
    EXPECT_TRUE(raw[1].is_status("PONG"));
}

TEST_F(RedisClientTest, TransactionAppliesAllAndReturnsExecReplies) {
    const auto results =
        m_redis.transaction({{"SET", key("a"), "1"}, {"INCR", key("n")}, {"GET", key("a")}});
    ASSERT_EQ(results.size(), 3u);
    EXPECT_TRUE(results[0].is_status("OK"));
    EXPECT_EQ(results[1].as_integer(), 1);
    EXPECT_EQ(results[2].as_string(), "1");
}

TEST_F(RedisClientTest, TransactionWithBadCommandIsDiscarded) {
    EXPECT_THROW(m_redis.transaction({{"SET", key("a"), "1"}, {"NOSUCHCOMMAND"}}), StorageError);
    EXPECT_TRUE(m_redis.command({"GET", key("a")}).is_nil());  // EXECABORT: nothing applied
    m_redis.command({"SET", key("b"), "text"});
    EXPECT_THROW(m_redis.transaction({{"INCR", key("b")}}), StorageError);  // runtime error
    EXPECT_TRUE(m_redis.command({"PING"}).is_status("PONG"));
}

TEST_F(RedisClientTest, ScriptShaMatchesWhatRedisComputes) {
    const RedisScript script("return {KEYS[1], ARGV[1]}");
    EXPECT_EQ(m_redis.command({"SCRIPT", "LOAD", script.source()}).as_string(), script.sha1());
}

TEST_F(RedisClientTest, EvalFallsBackToSourceAfterScriptFlush) {
    const RedisScript script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    EXPECT_EQ(m_redis.eval(script, {key("n")}, {"2"}).as_integer(), 2);
    m_redis.command({"SCRIPT", "FLUSH"});
    EXPECT_EQ(m_redis.command({"SCRIPT", "EXISTS", script.sha1()}).as_array()[0].as_integer(), 0);
    EXPECT_EQ(m_redis.eval(script, {key("n")}, {"3"}).as_integer(), 5);  // EVAL ran it once
    // EVAL cached it again, so EVALSHA works directly now.
    EXPECT_EQ(m_redis.command({"SCRIPT", "EXISTS", script.sha1()}).as_array()[0].as_integer(), 1);
    EXPECT_EQ(m_redis.eval(script, {key("n")}, {"1"}).as_integer(), 6);
}

TEST_F(RedisClientTest, ScriptErrorThrowsStorageError) {
    const RedisScript script("return redis.error_reply('ERR boom')");
    EXPECT_THROW(m_redis.eval(script, {}, {}), StorageError);
    EXPECT_TRUE(m_redis.command({"PING"}).is_status("PONG"));
}

TEST_F(RedisClientTest, PublishCountsReceivers) {
    EXPECT_EQ(m_redis.publish(key("nobody-listens"), "hello"), 0);
}

TEST_F(RedisClientTest, SelectsTheEndpointDatabase) {
    RedisClient other(test::redis_endpoint(test::k_select_db));
    other.command({"SET", key("a"), "in-other-db", "PX", "60000"});
    EXPECT_TRUE(m_redis.command({"GET", key("a")}).is_nil());
    EXPECT_EQ(other.command({"GET", key("a")}).as_optional_string(), "in-other-db");
    (void)other.command({"DEL", key("a")});
}

TEST_F(RedisClientTest, SetsTheClientName) {
    RedisOptions options;
    options.client_name = "edgesync-test-" + new_uuid();
    RedisClient named(test::redis_endpoint(), options);
    EXPECT_EQ(named.command({"CLIENT", "GETNAME"}).as_string(), options.client_name);
}

TEST_F(RedisClientTest, IdempotentCallIsRetriedAfterConnectionKilled) {
    m_redis.command({"SET", key("a"), "v"});
    const auto before = m_redis.command({"CLIENT", "ID"}).as_integer();
    test::kill_client(before);
    EXPECT_EQ(m_redis.command({"GET", key("a")}).as_optional_string(), "v");
    EXPECT_TRUE(m_redis.is_connected());
    EXPECT_NE(m_redis.command({"CLIENT", "ID"}).as_integer(), before);
}

TEST_F(RedisClientTest, NonIdempotentCallIsNotResentButNextCallReconnects) {
    test::kill_client(m_redis.command({"CLIENT", "ID"}).as_integer());
    EXPECT_THROW(m_redis.command({"INCR", key("n")}), ConnectionError);
    EXPECT_FALSE(m_redis.is_connected());
    EXPECT_TRUE(m_redis.command({"GET", key("n")}).is_nil());  // the INCR never ran
    EXPECT_EQ(m_redis.command({"INCR", key("n")}).as_integer(), 1);
}

TEST_F(RedisClientTest, IdempotentPipelineIsRetriedAfterConnectionKilled) {
    m_redis.command({"SET", key("a"), "1"});
    test::kill_client(m_redis.command({"CLIENT", "ID"}).as_integer());
    const auto replies = m_redis.pipeline({{"GET", key("a")}, {"EXISTS", key("a")}});
    EXPECT_EQ(replies[0].as_string(), "1");
    EXPECT_EQ(replies[1].as_integer(), 1);
}

TEST_F(RedisClientTest, CommandTimeoutThrowsConnectionErrorAndClientRecovers) {
    RedisOptions options;
    options.command_timeout = std::chrono::milliseconds(200);
    RedisClient client(test::redis_endpoint(), options);
    // BLPOP blocks server-side far longer than the command timeout.
    EXPECT_THROW(client.command({"BLPOP", key("list"), "30"}), ConnectionError);
    EXPECT_FALSE(client.is_connected());
    EXPECT_TRUE(client.command({"PING"}).is_status("PONG"));
}

TEST(RedisClientConnect, UnreachableRedisThrowsConnectionError) {
    RedisEndpoint ep;
    ep.host = "127.0.0.1";
    ep.port = 1;
    EXPECT_THROW(RedisClient{ep}, ConnectionError);
}

TEST(RedisClientConnect, PasswordForAnOpenRedisIsRefusedWithoutLeakingIt) {
    auto ep = test::redis_endpoint();
    ep.password = "hunter2-not-configured";
    try {
        RedisClient client(ep);
        FAIL() << "expected ConnectionError";
    } catch (const ConnectionError& e) {
        EXPECT_NE(std::string(e.what()).find("AUTH"), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    }
}

// A Redis 6 ACL user named in the URL logs in as that user (AUTH user password),
// not as the default user.
TEST(RedisClientConnect, UrlUserNameLogsInAsThatAclUser) {
    RedisClient admin(test::redis_endpoint());
    const std::string user = "es-test-" + new_uuid();
    const std::string password = "acl-" + new_uuid();
    admin.command({"ACL", "SETUSER", user, "on", ">" + password, "~*", "&*", "+@all"});
    const auto ep = test::redis_endpoint();
    const std::string url =
        "redis://" + user + ":" + password + "@" + ep.host + ":" + std::to_string(ep.port) + "/0";
    std::string whoami;
    try {
        auto client = RedisClient::from_url(url);
        whoami = client.command({"ACL", "WHOAMI"}).as_string();
    } catch (const std::exception& e) {
        whoami = std::string("error: ") + e.what();
    }
    (void)admin.command({"ACL", "DELUSER", user});
    EXPECT_EQ(whoami, user);
}

TEST(RedisClientConnect, FromUrlConnects) {
    auto client = RedisClient::from_url(test::redis_url());
    EXPECT_TRUE(client.command({"PING"}).is_status("PONG"));
    EXPECT_THROW((void)RedisClient::from_url("http://nope"), ConfigError);
}

}  // namespace
}  // namespace edgesync
