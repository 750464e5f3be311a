// The fault suite, storage side (fault_fixture.hpp): Postgres and Redis
// restarted under two syncing agents.
#include "tests/e2e/fault_fixture.hpp"

namespace edgesync::test {
namespace {

using namespace std::chrono_literals;

TEST_F(FaultTest, AfterAPostgresRestartBothFoldersConvergeAndTheEventLogHasNoGap) {
    ASSERT_NO_FATAL_FAILURE(start_syncing());
    while_writing([&] {
        pg.stop();
        std::this_thread::sleep_for(1500ms);  // writes meanwhile fail and are retried
        pg.start();
    });
    expect_converged_without_gaps();
}

TEST_F(FaultTest, AfterARedisRestartTheAgentsLogInAgainAndConvergeWithoutLosingData) {
    ASSERT_NO_FATAL_FAILURE(start_syncing());
    while_writing([&] {
        redis.stop();  // every session is gone with it
        std::this_thread::sleep_for(1500ms);
        redis.start();
    });
    expect_converged_without_gaps();
    // Their refresh tokens named sessions Redis no longer had: each agent came
    // back by logging in again with its password file, as the same device.
    EXPECT_NE(read_all(m_alpha->home.path() / "agent.log").find("logged in again as device"),
              std::string::npos);
    EXPECT_NE(read_all(m_beta->home.path() / "agent.log").find("logged in again as device"),
              std::string::npos);
}

}  // namespace
}  // namespace edgesync::test
