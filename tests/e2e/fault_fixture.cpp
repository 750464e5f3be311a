#include "tests/e2e/fault_fixture.hpp"

#include <cstdio>

namespace edgesync::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// The folder's files, or nullopt when it changed under the walk (an agent
// renamed or removed something meanwhile): then the caller looks again.
std::optional<Tree> stable_tree(const fs::path& root) {
    try {
        return tree_of(root);
    } catch (const fs::filesystem_error&) {
        return std::nullopt;
    }
}

std::map<std::string, std::string> contents(const Tree& t) {
    std::map<std::string, std::string> out;
    for (const auto& [path, v] : t) out[path] = v.second;
    return out;
}

std::string listing(const std::map<std::string, std::string>& files) {
    std::string out;
    for (const auto& [path, content] : files)
        out += "  " + path + " (" + std::to_string(content.size()) + " bytes)\n";
    return out;
}

// What an agent said about the fault (warnings, logging in again), for
// `ctest -V`: which recovery paths a passing run went through.
void print_fault_lines(const char* who, const std::string& log) {
    std::size_t start = 0;
    int shown = 0;
    while (start < log.size() && shown < 12) {
        auto end = log.find('\n', start);
        if (end == std::string::npos) end = log.size();
        const auto line = log.substr(start, end - start);
        if (line.find(" warning ") != std::string::npos ||
            line.find("logged in again") != std::string::npos) {
            std::printf("%s: %s\n", who, line.c_str());
            ++shown;
        }
        start = end + 1;
    }
}

}  // namespace

// ---- RunningAgent -------------------------------------------------------------

RunningAgent::RunningAgent(const TestAgent& agent, ProcessOptions options)
    : m_log(agent.home.path() / "agent.log") {
    // `exec` keeps the pid: signals reach the agent itself.
    std::vector<std::string> args = {"/bin/sh", "-c", "exec \"$0\" \"$@\" >>'" + m_log.string() +
                                                          "' 2>&1"};
    args.insert(args.end(), options.args.begin(), options.args.end());
    options.args = std::move(args);
    options.timeout = std::chrono::minutes(10);
    m_process = std::make_unique<Process>(options);
}

RunningAgent::~RunningAgent() = default;

std::string RunningAgent::log() const { return read_all(m_log); }

bool RunningAgent::wait_for_log(std::string_view needle, std::chrono::milliseconds limit) const {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (log().find(needle) != std::string::npos) return true;
        std::this_thread::sleep_for(50ms);
    }
    return log().find(needle) != std::string::npos;
}

ProcessResult RunningAgent::stop() {
    m_process->send_signal(SIGTERM);
    auto r = m_process->wait();
    r.err += log();
    return r;
}

// ---- TreeWriter ---------------------------------------------------------------

TreeWriter::TreeWriter(std::vector<Side> sides, unsigned seed)
    : m_sides(std::move(sides)), m_rng(seed) {}

TreeWriter::~TreeWriter() { stop(); }

void TreeWriter::seed(int files) {
    for (const auto& side : m_sides)
        for (int i = 0; i < files; ++i) {
            const auto rel = side.prefix + std::to_string(i % 4) + "/f" + std::to_string(i) + ".txt";
            const auto content = side.agent->name + " seeded " + rel;
            write_file(side.agent->file(rel), content);
            std::lock_guard lock(m_mutex);
            m_files[rel] = content;
        }
}

void TreeWriter::start() {
    m_thread = std::thread([this] {
        while (!m_stop.load()) {
            step();
            std::this_thread::sleep_for(30ms);
        }
    });
}

void TreeWriter::stop() {
    m_stop.store(true);
    if (m_thread.joinable()) m_thread.join();
}

int TreeWriter::operations() const {
    std::lock_guard lock(m_mutex);
    return m_ops;
}

std::map<std::string, std::string> TreeWriter::expected() const {
    std::lock_guard lock(m_mutex);
    return m_files;
}

void TreeWriter::step() {
    int total = 0;
    for (const auto& s : m_sides) total += s.weight;
    int pick = std::uniform_int_distribution<int>(0, total - 1)(m_rng);
    const Side* side = &m_sides.front();
    for (const auto& s : m_sides) {
        if (pick < s.weight) {
            side = &s;
            break;
        }
        pick -= s.weight;
    }
    const int n = std::uniform_int_distribution<int>(0, 39)(m_rng);
    const auto rel = side->prefix + std::to_string(n % 4) + "/f" + std::to_string(n) + ".txt";
    std::lock_guard lock(m_mutex);
    const int op = ++m_ops;
    const bool exists = m_files.contains(rel);
    if (exists && std::uniform_int_distribution<int>(0, 3)(m_rng) == 0) {
        fs::remove(side->agent->file(rel));
        m_files.erase(rel);
        return;
    }
    // Sizes up to ~20 KB; every version differs.
    std::string content = side->agent->name + " op " + std::to_string(op) + " " + rel + "\n";
    content.append(std::uniform_int_distribution<std::size_t>(0, 20'000)(m_rng),
                   static_cast<char>('a' + op % 26));
    const auto staged = side->agent->home.path() / "writer-staged";
    write_file(staged, content);
    fs::create_directories(side->agent->file(rel).parent_path());
    fs::rename(staged, side->agent->file(rel));
    m_files[rel] = std::move(content);
}

// ---- FaultTest ----------------------------------------------------------------

FaultTest::FaultTest() : AgentSyncTest(pg.url(), redis.url(), {}) {}

std::string FaultTest::agent_server_url(const std::string& name) {
    auto& proxy = m_proxies[name];
    if (!proxy) proxy = std::make_unique<TcpProxy>("127.0.0.1", m_api.port());
    return proxy->http_url();
}

void FaultTest::kill_and_restart_server() {
    // Refused meanwhile, rather than relayed to the dead port or a stranger on it.
    for (auto& [name, proxy] : m_proxies) proxy->cut();
    m_api.kill_and_restart();
    for (auto& [name, proxy] : m_proxies) {
        proxy->set_target(m_api.port());
        proxy->restore();
    }
}

void FaultTest::start_syncing() {
    m_alpha = enroll("alpha");
    m_beta = enroll("beta");
    const auto seed = std::random_device{}();
    std::printf("writer seed %u\n", seed);
    m_writer = std::make_unique<TreeWriter>(
        std::vector<TreeWriter::Side>{{m_alpha.get(), "a/", 3}, {m_beta.get(), "b/", 1}}, seed);
    m_writer->seed(12);
    m_run_alpha = std::make_unique<RunningAgent>(*m_alpha, agent_command(*m_alpha, {"run"}));
    m_run_beta = std::make_unique<RunningAgent>(*m_beta, agent_command(*m_beta, {"run"}));
    ASSERT_TRUE(m_run_alpha->wait_for_log("in sync:", 60s)) << m_run_alpha->log();
    ASSERT_TRUE(m_run_beta->wait_for_log("in sync:", 60s)) << m_run_beta->log();
    m_writer->start();
}

void FaultTest::while_writing(const std::function<void()>& fault,
                              std::chrono::milliseconds before, std::chrono::milliseconds after) {
    std::this_thread::sleep_for(before);
    fault();
    std::this_thread::sleep_for(after);
    m_writer->stop();
}

std::vector<std::int64_t> FaultTest::event_seqs() {
    pqxx::connection conn(pg.url());
    pqxx::read_transaction tx(conn);
    std::vector<std::int64_t> seqs;
    for (const auto& row :
         tx.exec_params("SELECT sequence_number FROM sync_events WHERE account_id = $1 "
                        "ORDER BY sequence_number",
                        m_owner.account_id))
        seqs.push_back(row[0].as<std::int64_t>());
    return seqs;
}

void FaultTest::expect_converged_without_gaps() {
    const auto expected = m_writer->expected();
    std::map<std::string, std::string> in_alpha;
    std::map<std::string, std::string> in_beta;
    const auto end = std::chrono::steady_clock::now() + 120s;  // bounds a failure only
    bool converged = false;
    while (!converged && std::chrono::steady_clock::now() < end) {
        const auto ta = stable_tree(m_alpha->dir());
        const auto tb = stable_tree(m_beta->dir());
        if (ta && tb) {
            in_alpha = contents(*ta);
            in_beta = contents(*tb);
            converged = in_alpha == expected && in_beta == expected && *ta == *tb;
        }
        if (!converged) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(converged) << "after " << m_writer->operations() << " writer operations\n"
                           << "expected:\n"
                           << listing(expected) << "alpha:\n"
                           << listing(in_alpha) << "beta:\n"
                           << listing(in_beta) << "alpha's log:\n"
                           << m_run_alpha->log() << "beta's log:\n"
                           << m_run_beta->log();

    // The event log: 1..N, no gap, no repeat.
    const auto seqs = event_seqs();
    ASSERT_FALSE(seqs.empty());
    for (std::size_t i = 0; i < seqs.size(); ++i)
        ASSERT_EQ(seqs[i], static_cast<std::int64_t>(i + 1)) << "gap or repeat at index " << i;

    // Both agents survived the fault and stop cleanly.
    const auto ra = m_run_alpha->stop();
    EXPECT_EQ(ra.exit_code, 0) << "alpha: " << describe(ra);
    const auto rb = m_run_beta->stop();
    EXPECT_EQ(rb.exit_code, 0) << "beta: " << describe(rb);
    std::printf("%d writer operations, %zu events\n", m_writer->operations(), seqs.size());
    print_fault_lines("alpha", ra.err);
    print_fault_lines("beta", rb.err);
}

}  // namespace edgesync::test
