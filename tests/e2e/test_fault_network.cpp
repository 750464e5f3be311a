// The fault suite, server and network side (fault_fixture.hpp): the server
// killed and restarted, an agent's connection cut and restored.
#include "tests/e2e/fault_fixture.hpp"

namespace edgesync::test {
namespace {

using namespace std::chrono_literals;

TEST_F(FaultTest, AfterTheServerIsKilledAndRestartedBothFoldersConvergeAndTheEventLogHasNoGap) {
    ASSERT_NO_FATAL_FAILURE(start_syncing());
    while_writing([&] { kill_and_restart_server(); });
    expect_converged_without_gaps();
}

TEST_F(FaultTest, AfterAnAgentsConnectionIsCutAndRestoredBothFoldersConverge) {
    ASSERT_NO_FATAL_FAILURE(start_syncing());
    auto& proxy = proxy_of(*m_beta);
    const auto before = proxy.accepted();
    while_writing([&] {
        proxy.cut();  // beta's event stream and every request in flight drop
        std::this_thread::sleep_for(2s);
        proxy.restore();
    });
    expect_converged_without_gaps();
    EXPECT_GT(proxy.accepted(), before);  // beta really came back through it
}

}  // namespace
}  // namespace edgesync::test
