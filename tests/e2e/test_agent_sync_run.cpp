// `edgesync-agent run` as a real process against the real server: a file
// written in one agent's folder appears in the other's, status works while it
// runs, SIGTERM exits 0, a second engine on one state directory is refused,
// and a revoked device exits with k_exit_revoked.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <csignal>
#include <cstring>
#include <thread>

#include "agent/unique_fd.hpp"

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

// A bound unix datagram socket standing in for systemd's notify socket.
class NotifySocket {
  public:
    explicit NotifySocket(const fs::path& path) : m_path(path.string()) {
        m_fd.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, m_path.data(), m_path.size());
        EXPECT_EQ(::bind(m_fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0)
            << std::strerror(errno);
    }
    [[nodiscard]] const std::string& path() const { return m_path; }
    // Datagrams until one starts with `prefix` (true) or none comes for 20 s.
    bool receive_until(std::string_view prefix, std::vector<std::string>& seen) {
        for (;;) {
            pollfd p{m_fd.get(), POLLIN, 0};
            if (::poll(&p, 1, 20'000) != 1) return false;
            char buffer[4096];
            const auto n = ::recv(m_fd.get(), buffer, sizeof buffer, 0);
            if (n < 0) return false;
            seen.emplace_back(buffer, static_cast<std::size_t>(n));
            if (seen.back().starts_with(prefix)) return true;
        }
    }

  private:
    std::string m_path;
    agent::UniqueFd m_fd;
};

class AgentRun : public AgentSyncTest {
  protected:
    std::unique_ptr<Process> start(const TestAgent& a,
                                   std::map<std::string, std::string> env = {}) {
        auto options = agent_command(a, {"run"});
        for (auto& [k, v] : env) {
            std::erase(options.unset_env, k);
            options.env[k] = v;
        }
        auto p = std::make_unique<Process>(options);
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

TEST_F(AgentRun, EditsMadeWhileOfflineSurviveAsAConflictCopyOnBothSides) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(a->file("doc.txt"), "original");
    sync(*a);
    sync(*b);

    auto pa = start(*a);
    write_file(b->file("doc.txt"), "beta, edited offline");
    write_file(a->file("doc.txt"), "alpha, edited live");
    // Until alpha's edit is on the server (version 2 in the feed).
    EXPECT_TRUE(eventually([&] {
        const auto r = m_api.call("GET", "/v1/states?after=0", nullptr, m_owner.access);
        const auto j = nlohmann::json::parse(r.body, nullptr, false);
        return j.is_object() && j["states"].size() == 1 && j["states"][0]["version"] == 2;
    }));
    auto pb = start(*b);  // its first pass meets alpha's version

    EXPECT_EQ(read_all(b->file("doc.txt")), "alpha, edited live");
    EXPECT_TRUE(eventually([&] {
        const auto copies = conflict_copies(tree_of(a->dir()));
        return copies.size() == 1 && read_all(a->file(copies[0])) == "beta, edited offline";
    }));
    EXPECT_TRUE(eventually([&] { return tree_of(a->dir()) == tree_of(b->dir()); }));
    const auto s = status_json(*b);
    EXPECT_EQ(s["conflicts"], 1) << s.dump();
    expect_clean_stop(*pa);
    expect_clean_stop(*pb);
}

TEST_F(AgentRun, TellsSystemdReadyStatusWatchdogAndStopping) {
    const auto a = enroll("alpha");
    NotifySocket socket(a->home.path() / "notify");
    auto pa = start(*a, {{"NOTIFY_SOCKET", socket.path()}, {"WATCHDOG_USEC", "200000"}});
    std::vector<std::string> seen;
    EXPECT_TRUE(socket.receive_until("READY=1", seen));
    EXPECT_TRUE(socket.receive_until("WATCHDOG=1", seen));
    pa->send_signal(SIGTERM);
    EXPECT_TRUE(socket.receive_until("STOPPING=1", seen));
    EXPECT_TRUE(std::ranges::any_of(seen, [](const std::string& m) {
        return m.starts_with("STATUS=idle, ");
    })) << ::testing::PrintToString(seen);
    const auto r = pa->wait();
    EXPECT_EQ(r.exit_code, 0) << describe(r);
}

TEST_F(AgentRun, SighupReloadsTheIgnoreRulesAndIgnoredFilesStayLocal) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    auto pa = start(*a);
    write_file(a->file(".edgesyncignore"), "*.log\nbuild/\n");
    pa->send_signal(SIGHUP);
    EXPECT_TRUE(pa->wait_for_output(
        [](const std::string&, const std::string& err) {
            return err.find("reloaded the ignore rules") != std::string::npos;
        },
        20s));
    write_file(a->file("debug.log"), "noise");
    write_file(a->file("build/out.o"), "object");
    write_file(a->file("real.txt"), "signal");
    EXPECT_TRUE(eventually([&] {  // .edgesyncignore and real.txt on the server
        const auto r = m_api.call("GET", "/v1/states?after=0", nullptr, m_owner.access);
        const auto j = nlohmann::json::parse(r.body, nullptr, false);
        return j.is_object() && j["states"].size() == 2;
    }));
    sync(*b);
    const auto tb = tree_of(b->dir());
    EXPECT_TRUE(tb.contains("real.txt"));
    EXPECT_TRUE(tb.contains(".edgesyncignore"));
    EXPECT_FALSE(tb.contains("debug.log"));
    EXPECT_FALSE(tb.contains("build/out.o"));
    expect_clean_stop(*pa);
}

TEST_F(AgentRun, AnUnreachableServerIsRetriedAndShownInStatusUntilSigterm) {
    const auto a = enroll("alpha");
    const agent::AgentState state(a->state_dir());
    auto config = state.load_config();
    config.server = "http://127.0.0.1:1";  // nothing listens there
    state.save_config(config);
    Process p(agent_command(*a, {"run"}));
    EXPECT_TRUE(p.wait_for_output(
        [](const std::string&, const std::string& err) {
            return err.find("first sync pass failed") != std::string::npos;
        },
        20s));
    EXPECT_TRUE(eventually([&] {
        const auto s = status_json(*a);
        return s.is_object() && s["running"] == true && s["state"] == "offline" &&
               s["connected"] == false && s["last_error"].is_string();
    })) << status_json(*a).dump();
    p.send_signal(SIGTERM);
    const auto r = p.wait();
    EXPECT_EQ(r.exit_code, 0) << describe(r);
}

TEST_F(AgentRun, SigtermDuringALongFirstPassExitsZeroAndLeavesAConsistentState) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    for (int i = 0; i < 400; ++i)
        write_file(a->file("bulk/" + std::to_string(i % 5) + "/f" + std::to_string(i)),
                   std::string(4096, static_cast<char>('a' + i % 26)));
    sync(*a);

    Process p(agent_command(*b, {"run"}));
    std::this_thread::sleep_for(300ms);  // somewhere in its first pass (or before/after)
    p.send_signal(SIGTERM);
    const auto r = p.wait();
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    for (const auto& e : fs::recursive_directory_iterator(b->dir()))
        EXPECT_EQ(e.path().filename().string().find(".edgesync-tmp-"), std::string::npos)
            << e.path();
    sync(*b);
    EXPECT_EQ(tree_of(b->dir()), tree_of(a->dir()));
    EXPECT_TRUE(conflict_copies(tree_of(b->dir())).empty());
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
