#pragma once

// Helpers shared by the tests/integration/test_redis_*.cpp suites.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "shared/config/config.hpp"
#include "shared/db/redis_client.hpp"
#include "shared/db/redis_pool.hpp"
#include "tests/support/test_env.hpp"

namespace edgesync::test {

// Logical databases of the test Redis owned by one test each (tests run in
// parallel; everything else uses db 0 with random account ids).
inline constexpr int k_select_db = 3;        // RedisClientTest.SelectsTheEndpointDatabase
inline constexpr int k_sweep_db = 9;         // SessionSweep (FLUSHDB)
inline constexpr int k_sweep_empty_db = 10;  // SessionSweepEmpty (FLUSHDB)
inline constexpr int k_services_gc_db = 12;  // SessionServiceGc (FLUSHDB)

// The test Redis, optionally on another logical database.
inline RedisEndpoint redis_endpoint() { return parse_redis_url(redis_url()); }
inline RedisEndpoint redis_endpoint(int db) {
    auto ep = redis_endpoint();
    ep.db = db;
    return ep;
}

inline RedisPool::Options small_pool(std::size_t max_size = 4) {
    RedisPool::Options o;
    o.max_size = max_size;
    return o;
}

// Polls `done` every 20 ms until it holds; false after `limit`. For waiting on
// expiry, never to assert how long something took.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(15)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
}

// Closes one client's connection from the server side, as a network fault would.
inline void kill_client(std::int64_t client_id) {
    auto admin = RedisClient(redis_endpoint());
    ASSERT_EQ(admin.command({"CLIENT", "KILL", "ID", std::to_string(client_id)}).as_integer(), 1);
}

}  // namespace edgesync::test
