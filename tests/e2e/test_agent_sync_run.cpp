// `edgesync-agent run` as a real process against the real server: a file
// written in one agent's folder appears in the other's, status works while it
// runs, SIGTERM exits 0, a second engine on one state directory is refused,
// and a revoked device exits with k_exit_revoked.
#include <csignal>
#include <thread>

#include "agent/exit_codes.hpp"
#include "tests/e2e/test_agent_sync_fixture.hpp"

namespace edgesync::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Polls until `done` holds or `limit` passes (no timing assertion: the limit
// only bounds a failing test).
template <typename Pred>
bool eventually(Pred done, std::chrono::milliseconds limit = 15s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (done()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return done();
}

class AgentRun : public AgentSyncTest {
  protected:
    std::unique_ptr<Process> start(const TestAgent& a) {
        auto p = std::make_unique<Process>(agent_command(a, {"run"}));
        const bool ready = p->wait_for_output(
            [](const std::string&, const std::string& err) {
                return err.find("in sync:") != std::string::npos;
            },
            20s);
        EXPECT_TRUE(ready) << a.name << " did not finish its first pass";
        return p;
    }

    static void expect_clean_stop(Process& p) {
        p.send_signal(SIGTERM);
        const auto r = p.wait();
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_NE(r.err.find("stopping"), std::string::npos) << r.err;
    }
};

TEST_F(AgentRun, AFileWrittenInOneAgentAppearsInTheOther) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(a->file("before-start.txt"), "synced by the first pass");
    auto pa = start(*a);
    auto pb = start(*b);
    EXPECT_EQ(read_all(b->file("before-start.txt")), "synced by the first pass");

    write_file(a->file("live/news.txt"), "written while both run");
    EXPECT_TRUE(eventually([&] {
        return fs::exists(b->file("live/news.txt")) &&
               read_all(b->file("live/news.txt")) == "written while both run";
    }));
    write_file(b->file("reply.txt"), "and back");
    EXPECT_TRUE(eventually([&] { return read_all(a->file("reply.txt")) == "and back"; }));
    fs::remove(a->file("before-start.txt"));
    EXPECT_TRUE(eventually([&] { return !fs::exists(b->file("before-start.txt")); }));

    // status reads what the running agent writes.
    EXPECT_TRUE(eventually([&] {
        const auto s = status_json(*b);
        return s.is_object() && s["running"] == true && s["state"] == "idle" && s["files"] == 2;
    })) << status_json(*b).dump();

    expect_clean_stop(*pa);
    expect_clean_stop(*pb);
    const auto s = status_json(*a);
    EXPECT_EQ(s["running"], false);
    EXPECT_EQ(s["state"], "stopped");
}

TEST_F(AgentRun, ASecondEngineOnTheSameStateDirectoryIsRefused) {
    const auto a = enroll("alpha");
    auto pa = start(*a);
    const auto second = agent_run(*a, {"run"});
    EXPECT_EQ(second.exit_code, 1) << describe(second);
    EXPECT_NE(second.err.find("already using the state directory"), std::string::npos)
        << second.err;
    const auto once = agent_run(*a, {"sync", "--once"});
    EXPECT_EQ(once.exit_code, 1) << describe(once);
    expect_clean_stop(*pa);
}

TEST_F(AgentRun, ARevokedDeviceStopsWithItsOwnExitCode) {
    const auto a = enroll("alpha");
    auto pa = start(*a);
    const auto r = m_api.call("DELETE", "/v1/devices/" + a->device_id, nullptr, m_owner.access);
    ASSERT_EQ(r.status, 204) << r.describe();
    const auto done = pa->wait();
    EXPECT_EQ(done.exit_code, agent::k_exit_revoked) << describe(done);
    EXPECT_NE(done.err.find("revoked"), std::string::npos) << done.err;
}

TEST_F(AgentRun, SyncOnceOfARevokedDeviceExitsWithItsOwnExitCode) {
    const auto a = enroll("alpha");
    const auto r = m_api.call("DELETE", "/v1/devices/" + a->device_id, nullptr, m_owner.access);
    ASSERT_EQ(r.status, 204) << r.describe();
    const auto once = agent_run(*a, {"sync", "--once"});
    EXPECT_EQ(once.exit_code, agent::k_exit_revoked) << describe(once);
}

}  // namespace
}  // namespace edgesync::test
