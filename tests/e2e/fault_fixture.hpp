#pragma once

// The fault suite (issue #6): two agents `run`ning against the real server
// while a writer keeps changing their folders; a test injects one fault in the
// middle (Postgres or Redis restarted, the server killed, an agent's
// connection cut), then waits for both folders to match what was written,
// byte for byte, and checks the account's event log has no gap.
//
// Each test owns its Postgres and Redis (tests/support/private_services), so
// restarting them disturbs no other test, and each agent reaches the server
// through a TcpProxy of its own (tests/support/tcp_proxy), which follows a
// server restarted on a new port and can cut that agent's connections.

#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <thread>

#include "tests/e2e/test_agent_sync_fixture.hpp"
#include "tests/support/private_services.hpp"
#include "tests/support/tcp_proxy.hpp"

namespace edgesync::test {

// Constructed before AgentSyncTest (a base declared first), which starts the
// server against them.
struct FaultServices {
    PrivatePostgres pg;
    PrivateRedis redis;
};

// An agent `run`ning in the background; its output goes to a log file (a
// pipe nobody reads could fill and stall it).
class RunningAgent {
  public:
    RunningAgent(const TestAgent& agent, ProcessOptions options);
    ~RunningAgent();  // SIGKILL if still running
    // True once the log has `needle`, false after `limit`.
    [[nodiscard]] bool wait_for_log(std::string_view needle, std::chrono::milliseconds limit) const;
    [[nodiscard]] std::string log() const;
    // SIGTERM and the exit status (the log is added to describe()'s text).
    ProcessResult stop();

  private:
    std::filesystem::path m_log;
    std::unique_ptr<Process> m_process;
};

// Keeps changing files in one or more agents' folders on its own thread, as
// a user would (each write lands by a rename, as editors save): new files,
// edits and deletes, under a prefix of its own per agent so that no file is
// edited on two sides (any conflict copy is then a false one). Remembers what
// each folder should end up holding.
class TreeWriter {
  public:
    struct Side {
        const TestAgent* agent;
        std::string prefix;  // e.g. "a/": this side's files
        int weight;          // relative share of the operations
    };
    TreeWriter(std::vector<Side> sides, unsigned seed);
    ~TreeWriter();  // stop()s
    // Seeds `files` files per side (before the agents start).
    void seed(int files);
    void start();
    void stop();
    [[nodiscard]] int operations() const;
    // Every file the folders must hold once synced: path -> content.
    [[nodiscard]] std::map<std::string, std::string> expected() const;

  private:
    void step();

    std::vector<Side> m_sides;
    std::mt19937 m_rng;
    mutable std::mutex m_mutex;
    std::map<std::string, std::string> m_files;  // guarded
    int m_ops = 0;                                // guarded
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

class FaultTest : protected FaultServices, public AgentSyncTest {
  protected:
    FaultTest();

    // Each agent has a proxy of its own in front of the server.
    std::string agent_server_url(const std::string& name) override;
    [[nodiscard]] TcpProxy& proxy_of(const TestAgent& a) { return *m_proxies.at(a.name); }
    // kill -9 of the server, started again; the proxies follow it.
    void kill_and_restart_server();

    // Enrolls alpha and beta, seeds both folders, starts both agents and the
    // writer (alpha gets most of the changes, beta some).
    void start_syncing();
    // Lets the writer run `before`, runs `fault`, lets it run `after`, stops it.
    void while_writing(const std::function<void()>& fault,
                       std::chrono::milliseconds before = std::chrono::milliseconds(1500),
                       std::chrono::milliseconds after = std::chrono::milliseconds(1500));
    // Both folders hold exactly what was written (no temp files, no conflict
    // copies), within a generous bound; the event log has seqs 1..N; both
    // agents are still running and stop cleanly.
    void expect_converged_without_gaps();

    // The account's event seqs in order, from the private database.
    [[nodiscard]] std::vector<std::int64_t> event_seqs();

    std::map<std::string, std::unique_ptr<TcpProxy>> m_proxies;  // by agent name
    std::unique_ptr<TestAgent> m_alpha;
    std::unique_ptr<TestAgent> m_beta;
    std::unique_ptr<TreeWriter> m_writer;
    std::unique_ptr<RunningAgent> m_run_alpha;
    std::unique_ptr<RunningAgent> m_run_beta;
};

}  // namespace edgesync::test
