// Server configuration, the schema verdict and the worker pool.
#include <gtest/gtest.h>

#include <future>
#include <latch>

#include "server/schema_check.hpp"
#include "server/server_config.hpp"
#include "server/worker_pool.hpp"
#include "shared/util/error.hpp"

namespace edgesync::server {
namespace {

Config config_with(std::map<std::string, std::string> values) {
    values.try_emplace("DATABASE_URL", "postgresql://u:pw@localhost/db");
    values.try_emplace("REDIS_URL", "redis://localhost:6379/0");
    values.try_emplace("JWT_SECRET", std::string(32, 's'));
    return Config::load({.flags = std::move(values),
                         .dotenv = std::nullopt,
                         .use_environment = false,
                         .defaults = {}});
}

TEST(ServerConfig, DefaultsAreSane) {
    const auto c = ServerConfig::from(config_with({}));
    EXPECT_EQ(c.listen_host, "0.0.0.0");
    EXPECT_EQ(c.listen_port, 8080);
    EXPECT_EQ(c.workers, c.pg_pool_size);
    EXPECT_LT(c.shutdown_timeout, std::chrono::seconds(10));
}

TEST(ServerConfig, SettingsAreReadAndValidated) {
    const auto c = ServerConfig::from(config_with({{"SERVER_PORT", "0"},
                                                   {"SERVER_READ_TIMEOUT", "250ms"},
                                                   {"PG_POOL_SIZE", "3"},
                                                   {"MAX_BLOB_BYTES", "99"},
                                                   {"DEFAULT_QUOTA_BYTES", "1000"},
                                                   {"LOGIN_RATE_LIMIT", "4"}}));
    EXPECT_EQ(c.listen_port, 0);
    EXPECT_EQ(c.http.read_timeout, std::chrono::milliseconds(250));
    EXPECT_EQ(c.workers, 3u);
    EXPECT_EQ(c.limits.max_blob_bytes, 99u);
    EXPECT_EQ(c.limits.default_quota_bytes, 1000);
    EXPECT_EQ(c.login_rate_limit, 4);
    EXPECT_EQ(c.login_rate_limit_per_ip, 100);
    EXPECT_THROW((void)ServerConfig::from(config_with({{"LOGIN_RATE_LIMIT", "0"}})), ConfigError);
    EXPECT_THROW((void)ServerConfig::from(config_with({{"SERVER_PORT", "70000"}})), ConfigError);
    EXPECT_THROW((void)ServerConfig::from(config_with({{"SERVER_READ_TIMEOUT", "0s"}})),
                 ConfigError);
    EXPECT_THROW((void)ServerConfig::from(config_with({{"LOG_LEVEL", "loud"}})), ConfigError);
}

TEST(ServerConfig, WeakJwtSecretIsAConfigErrorThatHidesTheSecret) {
    try {
        (void)ServerConfig::from(config_with({{"JWT_SECRET", "short-and-weak"}}));
        FAIL() << "accepted a weak secret";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.code(), ExitCode::usage);
        EXPECT_NE(std::string(e.what()).find("JWT_SECRET must be at least 32 bytes"),
                  std::string::npos);
        EXPECT_EQ(std::string(e.what()).find("short-and-weak"), std::string::npos);
    }
}

TEST(ServerConfig, ListenAddressForms) {
    EXPECT_EQ(parse_listen_address("127.0.0.1:0"),
              std::make_pair(std::string("127.0.0.1"), std::uint16_t{0}));
    EXPECT_EQ(parse_listen_address("[::1]:8080"),
              std::make_pair(std::string("::1"), std::uint16_t{8080}));
    EXPECT_EQ(parse_listen_address(":9000"), std::make_pair(std::string(), std::uint16_t{9000}));
    for (const char* bad : {"127.0.0.1", "host:", "host:65536", "::1:80", "[::1:80", "h:8x"})
        EXPECT_THROW((void)parse_listen_address(bad), ConfigError) << bad;
}

TEST(SchemaVerdict, ExactVersionIsFine) {
    const auto v = evaluate_schema({.version = 3, .dirty = false}, 3);
    EXPECT_TRUE(v.ok);
    EXPECT_TRUE(v.message.empty());
}

TEST(SchemaVerdict, DirtyOrBehindRefusesNewerWarns) {
    EXPECT_FALSE(evaluate_schema({.version = 3, .dirty = true}, 3).ok);
    const auto behind = evaluate_schema({.version = 2, .dirty = false}, 3);
    EXPECT_FALSE(behind.ok);
    EXPECT_NE(behind.message.find("edgesync migrate up"), std::string::npos);
    EXPECT_FALSE(evaluate_schema({.version = std::nullopt, .dirty = false}, 3).ok);
    const auto ahead = evaluate_schema({.version = 4, .dirty = false}, 3);
    EXPECT_TRUE(ahead.ok);
    EXPECT_FALSE(ahead.message.empty());
}

TEST(WorkerPool, RunsJobsOnItsThreads) {
    WorkerPool pool({.threads = 2, .queue_capacity = 4});
    std::promise<std::thread::id> ran;
    ASSERT_TRUE(pool.try_submit([&] { ran.set_value(std::this_thread::get_id()); }));
    EXPECT_NE(ran.get_future().get(), std::this_thread::get_id());
}

TEST(WorkerPool, FullQueueRefusesInsteadOfGrowing) {
    WorkerPool pool({.threads = 1, .queue_capacity = 2});
    std::latch started(1), release(1);
    ASSERT_TRUE(pool.try_submit([&] {
        started.count_down();
        release.wait();
    }));
    started.wait();  // the only thread is busy now
    EXPECT_TRUE(pool.try_submit([] {}));
    EXPECT_TRUE(pool.try_submit([] {}));
    EXPECT_FALSE(pool.try_submit([] {}));
    const auto stats = pool.stats();
    EXPECT_EQ(stats.busy, 1u);
    EXPECT_EQ(stats.queued, 2u);
    EXPECT_EQ(stats.rejected, 1u);
    release.count_down();
}

TEST(WorkerPool, StopWithDrainRunsQueuedJobsAndRefusesNewOnes) {
    WorkerPool pool({.threads = 1, .queue_capacity = 8});
    std::latch release(1);
    std::atomic<int> done{0};
    ASSERT_TRUE(pool.try_submit([&] { release.wait(); }));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(pool.try_submit([&] { ++done; }));
    release.count_down();
    pool.stop(/*drain=*/true);
    EXPECT_EQ(done.load(), 3);
    EXPECT_FALSE(pool.try_submit([] {}));
}

TEST(WorkerPool, StopWithoutDrainDropsQueuedJobs) {
    WorkerPool pool({.threads = 1, .queue_capacity = 8});
    std::latch started(1), release(1);
    std::atomic<int> done{0};
    auto token = std::make_shared<int>(0);
    ASSERT_TRUE(pool.try_submit([&] {
        started.count_down();
        release.wait();
    }));
    started.wait();
    ASSERT_TRUE(pool.try_submit([&, token] { ++done; }));
    std::thread stopper([&] { pool.stop(/*drain=*/false); });
    // The dropped job (and what it holds) is destroyed without running.
    while (token.use_count() > 1) std::this_thread::yield();
    release.count_down();
    stopper.join();
    EXPECT_EQ(done.load(), 0);
}

}  // namespace
}  // namespace edgesync::server
