// The server's non-blocking Redis connection and Postgres pool
// (server/async_redis.hpp, server/async_pg.hpp) against the real services.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <future>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "server/async_pg.hpp"
#include "server/async_redis.hpp"
#include "server/worker_pool.hpp"
#include "shared/db/redis_client.hpp"
#include "shared/util/error.hpp"
#include "shared/util/uuid.hpp"
#include "tests/integration/redis_test_support.hpp"
#include "tests/support/test_env.hpp"

namespace edgesync::server {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

// An io_context run by two threads, as the server runs its I/O threads.
class IoThreads {
  public:
    IoThreads() {
        for (int i = 0; i < 2; ++i) m_threads.emplace_back([this] { m_ioc.run(); });
    }
    // The connections, destroyed before, have posted their close: let it run.
    ~IoThreads() {
        m_work.reset();
        for (int i = 0; i < 500 && !m_ioc.stopped(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        m_ioc.stop();
        for (auto& t : m_threads) t.join();
    }
    net::io_context& ioc() { return m_ioc; }

  private:
    net::io_context m_ioc{2};
    net::executor_work_guard<net::io_context::executor_type> m_work{m_ioc.get_executor()};
    std::vector<std::thread> m_threads;
};

AsyncRedis::Reply run(AsyncRedis& redis, std::vector<std::string> args) {
    std::promise<AsyncRedis::Reply> p;
    auto f = p.get_future();
    redis.command(std::move(args), [&p](AsyncRedis::Reply r) { p.set_value(std::move(r)); });
    if (f.wait_for(30s) != std::future_status::ready) throw std::runtime_error("no reply");
    return f.get();
}

class AsyncRedisTest : public ::testing::Test {
  protected:
    IoThreads m_io;  // declared first: outlives the connection's handlers
    AsyncRedis m_redis{m_io.ioc(), test::redis_endpoint()};
    const std::string m_prefix = "es:test:{" + new_uuid() + "}:";
};

TEST_F(AsyncRedisTest, RepliesComeBackInOrderForPipelinedCommands) {
    constexpr int k_commands = 500;
    std::vector<std::promise<AsyncRedis::Reply>> replies(k_commands);
    // Queued back to back from this thread: they share writes and reads.
    for (int i = 0; i < k_commands; ++i)
        m_redis.command({"INCR", m_prefix + "n"},
                        [&replies, i](AsyncRedis::Reply r) { replies[i].set_value(std::move(r)); });
    for (int i = 0; i < k_commands; ++i) {
        auto f = replies[i].get_future();
        ASSERT_EQ(f.wait_for(30s), std::future_status::ready);
        const auto r = f.get();
        ASSERT_TRUE(r) << r.error();
        ASSERT_EQ(r->type, RedisValue::Type::integer);
        EXPECT_EQ(r->integer, i + 1);
    }
    (void)run(m_redis, {"DEL", m_prefix + "n"});
}

TEST_F(AsyncRedisTest, ValuesAreBinarySafeAndNilIsNil) {
    std::string blob;
    for (int i = 0; i < 256; ++i) blob.push_back(static_cast<char>(i));
    blob += std::string("\0\r\n$*", 5);
    const auto key = m_prefix + std::string("bin\0\r\n", 6);
    ASSERT_EQ(run(m_redis, {"SET", key, blob})->type, RedisValue::Type::status);
    const auto got = run(m_redis, {"GET", key});
    ASSERT_TRUE(got);
    EXPECT_EQ(got->type, RedisValue::Type::string);
    EXPECT_EQ(got->text, blob);
    EXPECT_EQ(run(m_redis, {"GET", m_prefix + "missing"})->type, RedisValue::Type::nil);
    (void)run(m_redis, {"DEL", key});
}

TEST_F(AsyncRedisTest, ErrorReplyIsAValueAndTheConnectionStaysUsable) {
    (void)run(m_redis, {"SET", m_prefix + "a", "text"});
    const auto r = run(m_redis, {"INCR", m_prefix + "a"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->type, RedisValue::Type::error);
    EXPECT_EQ(run(m_redis, {"GET", m_prefix + "a"})->text, "text");
    (void)run(m_redis, {"DEL", m_prefix + "a"});
}

TEST_F(AsyncRedisTest, SelectsTheEndpointDatabase) {
    AsyncRedis other(m_io.ioc(), test::redis_endpoint(test::k_select_db));
    const auto key = m_prefix + "db";
    ASSERT_TRUE(run(other, {"SET", key, "in-db"}));
    RedisClient check(test::redis_endpoint(test::k_select_db));
    EXPECT_EQ(check.command({"GET", key}).as_optional_string(), "in-db");
    EXPECT_TRUE(run(m_redis, {"GET", key})->type == RedisValue::Type::nil);  // db 0
    (void)check.command({"DEL", key});
}

TEST_F(AsyncRedisTest, AKilledConnectionFailsInFlightCommandsThenReconnects) {
    // Only this connection is killed (by id): other tests share this Redis.
    const auto id = run(m_redis, {"CLIENT", "ID"});
    ASSERT_TRUE(id && id->type == RedisValue::Type::integer);
    const auto client_id = std::to_string(id->integer);
    // A command that blocks server-side, then the connection is killed under it.
    std::promise<AsyncRedis::Reply> blocked;
    m_redis.command({"BLPOP", m_prefix + "never", "20"},
                    [&blocked](AsyncRedis::Reply r) { blocked.set_value(std::move(r)); });
    RedisClient admin(test::redis_endpoint());
    for (int i = 0; i < 200; ++i) {  // until the BLPOP is on the server
        const auto list = admin.command({"CLIENT", "LIST", "ID", client_id}).as_string();
        if (list.find("cmd=blpop") != std::string::npos) break;
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(admin.command({"CLIENT", "KILL", "ID", client_id}).as_integer(), 1);
    auto f = blocked.get_future();
    ASSERT_EQ(f.wait_for(30s), std::future_status::ready);
    EXPECT_FALSE(f.get());  // failed, not hung
    const auto again = run(m_redis, {"PING"});
    ASSERT_TRUE(again) << again.error();
    EXPECT_EQ(again->text, "PONG");
}

TEST_F(AsyncRedisTest, AnUnreachableServerFailsCommandsInsteadOfHanging) {
    auto ep = test::redis_endpoint();
    ep.port = 1;  // nothing listens there
    AsyncRedis dead(m_io.ioc(), ep, {.connect_timeout = 500ms});
    const auto r = run(dead, {"PING"});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("connect"), std::string::npos) << r.error();
}

// ---- AsyncPgPool

AsyncPgPool::Result run(AsyncPgPool& pool, std::string name, std::vector<PgParam> params) {
    std::promise<AsyncPgPool::Result> p;
    auto f = p.get_future();
    pool.exec_prepared(std::move(name), std::move(params),
                       [&p](AsyncPgPool::Result r) { p.set_value(std::move(r)); });
    if (f.wait_for(30s) != std::future_status::ready) throw std::runtime_error("no result");
    return f.get();
}

class AsyncPgTest : public ::testing::Test {
  protected:
    IoThreads m_io;
    WorkerPool m_workers{{.threads = 2, .queue_capacity = 16}};
    AsyncPgPool m_pool{m_io.ioc(),
                       {.url = test::database_url(), .size = 2},
                       {{"add", "SELECT $1::bigint + 1 AS n, NULL::text AS nothing"},
                        {"echo", "SELECT $1::bytea AS b, length($1::bytea) AS len"},
                        {"fail", "SELECT 1 / $1::int AS x"},
                        {"pid", "SELECT pg_backend_pid() AS pid"},
                        {"sleep", "SELECT pg_sleep($1::float8) IS NULL AS slept"}},
                       [this](std::move_only_function<void()> job) {
                           return m_workers.try_submit(std::move(job));
                       }};
};

TEST_F(AsyncPgTest, PreparedStatementReturnsTextValuesAndNulls) {
    const auto r = run(m_pool, "add", {{"41"}});
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ(r->get(0, "n"), "42");
    EXPECT_EQ(r->get(0, "nothing"), std::nullopt);
    EXPECT_THROW((void)r->get(0, "no_such_column"), StorageError);
}

TEST_F(AsyncPgTest, BinaryParametersArriveExactly) {
    std::string blob;
    for (int i = 0; i < 1024; ++i) blob.push_back(static_cast<char>(i % 256));
    const auto r = run(m_pool, "echo", {{blob, /*binary=*/true}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->get(0, "len"), "1024");
    EXPECT_EQ(r->get(0, "b")->substr(0, 10), "\\x00010203");
}

TEST_F(AsyncPgTest, QueryErrorCarriesItsSqlstateAndTheConnectionStaysUsable) {
    const auto r = run(m_pool, "fail", {{"0"}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, AsyncPgPool::Failure::Kind::query);
    EXPECT_EQ(r.error().sqlstate, "22012");  // division_by_zero
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(run(m_pool, "add", {{"1"}}));
}

TEST_F(AsyncPgTest, MoreConcurrentQueriesThanConnectionsAllComplete) {
    constexpr int k_queries = 200;
    std::vector<std::promise<AsyncPgPool::Result>> results(k_queries);
    for (int i = 0; i < k_queries; ++i)
        m_pool.exec_prepared("add", {{std::to_string(i)}}, [&results, i](AsyncPgPool::Result r) {
            results[i].set_value(std::move(r));
        });
    for (int i = 0; i < k_queries; ++i) {
        auto f = results[i].get_future();
        ASSERT_EQ(f.wait_for(30s), std::future_status::ready);
        const auto r = f.get();
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(r->get(0, "n"), std::to_string(i + 1));
    }
}

TEST_F(AsyncPgTest, ATerminatedBackendFailsItsQueryAndIsReplaced) {
    // Both connections busy sleeping; one of them is terminated mid-query.
    std::promise<AsyncPgPool::Result> a, b;
    m_pool.exec_prepared("sleep", {{"3"}},
                         [&a](AsyncPgPool::Result r) { a.set_value(std::move(r)); });
    m_pool.exec_prepared("sleep", {{"0.2"}},
                         [&b](AsyncPgPool::Result r) { b.set_value(std::move(r)); });
    pqxx::connection admin(test::database_url());
    pqxx::nontransaction tx(admin);
    for (int i = 0; i < 300; ++i) {
        const auto n = tx.exec1(
                             "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                             "'SELECT pg_sleep(%' AND state = 'active' AND datname = "
                             "current_database() AND pid <> pg_backend_pid()")[0]
                           .as<int>();
        if (n >= 1) break;
        std::this_thread::sleep_for(10ms);
    }
    tx.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE "
        "'SELECT pg_sleep(%' AND state = 'active' AND datname = current_database() AND pid <> "
        "pg_backend_pid()");
    auto fa = a.get_future();
    ASSERT_EQ(fa.wait_for(30s), std::future_status::ready);
    const auto ra = fa.get();
    ASSERT_FALSE(ra);
    EXPECT_NE(ra.error().kind, AsyncPgPool::Failure::Kind::overloaded);
    auto fb = b.get_future();
    ASSERT_EQ(fb.wait_for(30s), std::future_status::ready);
    (void)fb.get();  // finished or terminated too: either way answered
    // The pool serves again (reconnected off the I/O threads).
    AsyncPgPool::Result again = std::unexpected(AsyncPgPool::Failure{});
    for (int i = 0; i < 100 && !again; ++i) {
        again = run(m_pool, "add", {{"1"}});
        if (!again) std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->get(0, "n"), "2");
}

}  // namespace
}  // namespace edgesync::server
