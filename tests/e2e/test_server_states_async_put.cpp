// PUT /v1/states/{key} runs on the I/O threads with non-blocking Redis and
// Postgres (server/async_state_put.hpp): it must keep the blocking path's
// rules — the live-session check on every request, concurrent PUTs each
// answered once and in order per connection.
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/test_server_states_fixture.hpp"

namespace edgesync::test {
namespace {

using ServerStatesAsyncPut = ServerStates;

TEST_F(ServerStatesAsyncPut, APutWithTheTokenOfAnEndedSessionIs401) {
    const auto c = sign_up("ended");
    ASSERT_EQ(create(c, "k", to_bytes("v1")).status, 201);
    ASSERT_EQ(call(c, "POST", "/v1/auth/logout", {}, "").status, 204);
    const auto r = update(c, "k", to_bytes("v2"), 1);
    EXPECT_EQ(r.status, 401) << r.describe();
    EXPECT_EQ(r.header("WWW-Authenticate").value_or(""), "Bearer");
}

TEST_F(ServerStatesAsyncPut, ConcurrentWritersEachGetTheirOwnAnswer) {
    constexpr int k_writers = 8;
    constexpr int k_writes = 25;
    std::vector<Caller> callers;
    for (int i = 0; i < k_writers; ++i) callers.push_back(sign_up("conc" + std::to_string(i)));
    std::vector<int> ok(k_writers, 0);
    std::vector<std::thread> threads;
    for (int i = 0; i < k_writers; ++i)
        threads.emplace_back([&, i] {
            if (create(callers[i], "k", to_bytes("0")).status != 201) return;
            for (int v = 1; v <= k_writes; ++v)
                if (update(callers[i], "k", to_bytes(std::to_string(v)), v).status == 200) ++ok[i];
        });
    for (auto& t : threads) t.join();
    for (int i = 0; i < k_writers; ++i) {
        EXPECT_EQ(ok[i], k_writes) << "writer " << i;
        const auto got = call(callers[i], "GET", "/v1/states/k", {}, "");
        EXPECT_EQ(got.header("ETag").value_or(""), "\"" + std::to_string(k_writes + 1) + "\"");
    }
}

}  // namespace
}  // namespace edgesync::test
