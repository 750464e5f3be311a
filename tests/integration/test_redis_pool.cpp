#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "shared/db/redis_pool.hpp"
#include "shared/util/error.hpp"
#include "shared/util/uuid.hpp"
#include "tests/integration/redis_test_support.hpp"

namespace edgesync {
namespace {

TEST(RedisPoolTest, OpensConnectionsLazilyAndReusesThem) {
    RedisPool pool(test::redis_endpoint(), test::small_pool(2));
    EXPECT_EQ(pool.open_count(), 0u);
    std::int64_t first_id = 0;
    {
        auto lease = pool.acquire();
        first_id = lease->command({"CLIENT", "ID"}).as_integer();
        EXPECT_EQ(pool.open_count(), 1u);
        EXPECT_EQ(pool.idle_count(), 0u);
    }
    EXPECT_EQ(pool.idle_count(), 1u);
    auto again = pool.acquire();
    EXPECT_EQ(again->command({"CLIENT", "ID"}).as_integer(), first_id);
    EXPECT_EQ(pool.open_count(), 1u);
}

TEST(RedisPoolTest, AcquireBeyondMaxSizeTimesOutWithConnectionError) {
    auto options = test::small_pool(2);
    options.acquire_timeout = std::chrono::milliseconds(100);
    RedisPool pool(test::redis_endpoint(), options);
    auto a = pool.acquire();
    auto b = pool.acquire();
    EXPECT_THROW((void)pool.acquire(), ConnectionError);
    EXPECT_EQ(pool.open_count(), 2u);
    { auto released = std::move(a); }
    auto c = pool.acquire();  // the freed connection
    EXPECT_TRUE(c->command({"PING"}).is_status("PONG"));
    EXPECT_EQ(pool.open_count(), 2u);
}

TEST(RedisPoolTest, WaiterGetsTheConnectionWhenItIsReleased) {
    auto options = test::small_pool(1);
    options.acquire_timeout = std::chrono::seconds(30);
    RedisPool pool(test::redis_endpoint(), options);
    auto held = std::make_optional(pool.acquire());
    std::promise<void> waiting;
    auto waiter = std::async(std::launch::async, [&] {
        waiting.set_value();
        auto lease = pool.acquire();
        return lease->command({"PING"}).as_string();
    });
    waiting.get_future().wait();
    held.reset();
    EXPECT_EQ(waiter.get(), "PONG");
    EXPECT_EQ(pool.open_count(), 1u);
}

TEST(RedisPoolTest, ConcurrentWorkersNeverExceedMaxSize) {
    RedisPool pool(test::redis_endpoint(), test::small_pool(3));
    const auto counter = "es:test:{" + new_uuid() + "}:counter";
    std::atomic<int> in_use{0};
    std::atomic<int> peak{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < 8; ++t)
        workers.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                auto lease = pool.acquire();
                const int now_in_use = ++in_use;
                int p = peak.load();
                while (now_in_use > p && !peak.compare_exchange_weak(p, now_in_use)) {
                }
                (void)lease->command({"INCR", counter});
                --in_use;
            }
        });
    for (auto& w : workers) w.join();
    auto lease = pool.acquire();
    EXPECT_EQ(lease->command({"GET", counter}).as_string(), "400");
    EXPECT_LE(peak.load(), 3);
    EXPECT_LE(pool.open_count(), 3u);
    (void)lease->command({"DEL", counter});
}

TEST(RedisPoolTest, UnreachableRedisThrowsAndFreesTheSlot) {
    RedisEndpoint ep;
    ep.port = 1;
    RedisPool pool(ep, test::small_pool(1));
    EXPECT_THROW((void)pool.acquire(), ConnectionError);
    EXPECT_EQ(pool.open_count(), 0u);
    EXPECT_THROW((void)pool.acquire(), ConnectionError);  // not "pool busy": the slot was freed
}

TEST(RedisPoolTest, BrokenConnectionReturnedToPoolReconnectsOnNextUse) {
    RedisPool pool(test::redis_endpoint(), test::small_pool(1));
    {
        auto lease = pool.acquire();
        test::kill_client(lease->command({"CLIENT", "ID"}).as_integer());
        EXPECT_THROW(lease->command({"INCR", "es:test:{" + new_uuid() + "}:n"}), ConnectionError);
    }
    auto lease = pool.acquire();
    EXPECT_TRUE(lease->command({"PING"}).is_status("PONG"));
}

TEST(RedisPoolTest, ZeroMaxSizeIsRejected) {
    EXPECT_THROW(RedisPool(test::redis_endpoint(), test::small_pool(0)), std::invalid_argument);
}

}  // namespace
}  // namespace edgesync
