#pragma once

// Agents against the real server: each agent is a state directory written
// the way `enroll` leaves it (logged in as a new "agent" device with its own
// key pair; every agent of the account shares one account key) and a sync
// folder, driven through the built edgesync-agent binary.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "agent/agent_state.hpp"
#include "agent/state_dir.hpp"
#include "shared/crypto/aead.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/util/bytes.hpp"
#include "tests/e2e/server_api_fixture.hpp"
#include "tests/support/run_process.hpp"

namespace edgesync::test {

struct TestAgent {
    std::string name;
    TempDir home;  // state/ and folder/ inside
    std::string device_id;
    std::string access;  // the enrolment login's access token (for API calls in tests)

    [[nodiscard]] std::filesystem::path state_dir() const { return home.path() / "state"; }
    [[nodiscard]] std::filesystem::path dir() const { return home.path() / "folder"; }
    [[nodiscard]] std::filesystem::path file(const std::string& rel) const { return dir() / rel; }
};

// Every regular file under a folder: relative path -> (mode bits, content).
using Tree = std::map<std::string, std::pair<unsigned, std::string>>;

inline std::string read_all(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write_file(const std::filesystem::path& p, std::string_view content,
                       std::filesystem::perms mode = std::filesystem::perms(0644)) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    std::filesystem::permissions(p, mode);
}

inline Tree tree_of(const std::filesystem::path& root) {
    Tree t;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
        if (!e.is_regular_file()) continue;
        struct stat st {};
        ::lstat(e.path().c_str(), &st);
        t[std::filesystem::relative(e.path(), root).string()] = {st.st_mode & 0777,
                                                                 read_all(e.path())};
    }
    return t;
}

inline std::vector<std::string> conflict_copies(const Tree& t) {
    std::vector<std::string> out;
    for (const auto& [path, v] : t)
        if (path.find(".sync-conflict-") != std::string::npos) out.push_back(path);
    return out;
}

class AgentSyncTest : public ::testing::Test {
  protected:
    explicit AgentSyncTest(std::map<std::string, std::string> server_env = {})
        : m_api(std::move(server_env)), m_account_key(crypto::generate_aead_key()) {
        m_owner = m_api.new_account("agent-sync");
    }

    // Against services the test owns (tests/support/private_services): the
    // server uses this database and Redis.
    AgentSyncTest(const std::string& db_url, const std::string& redis,
                  std::map<std::string, std::string> server_env)
        : m_api(db_url, redis, std::move(server_env)), m_account_key(crypto::generate_aead_key()) {
        m_owner = m_api.new_account("agent-sync");
    }

    [[nodiscard]] std::string base_url() {
        return "http://" + m_api.host() + ":" + std::to_string(m_api.port());
    }
    // The server URL the agent `name` is enrolled with (config.json `server`);
    // a fault test puts a proxy there.
    [[nodiscard]] virtual std::string agent_server_url(const std::string& /*name*/) {
        return base_url();
    }

    // A new device of the account, enrolled by writing its state directory.
    std::unique_ptr<TestAgent> enroll(const std::string& name) {
        auto a = std::make_unique<TestAgent>();
        a->name = name;
        std::filesystem::create_directories(a->dir());
        agent::ensure_private_dir(a->state_dir());
        const auto keys = crypto::generate_box_keypair();
        const auto login =
            m_api.login(m_owner.email, {{"device",
                                         {{"name", name},
                                          {"device_type", "agent"},
                                          {"public_key", base64_encode(keys.public_key)}}}});
        a->device_id = login.device_id;
        a->access = login.access;
        const auto password_file = a->state_dir() / "password";
        agent::write_secret_file(password_file, crypto::as_bytes(k_api_password));

        const agent::AgentState state(a->state_dir());
        agent::AgentConfig config;
        config.server = agent_server_url(name);
        config.email = m_owner.email;
        config.account_id = login.account_id;
        config.device_id = login.device_id;
        config.device_name = name;
        config.sync_dir = a->dir();
        config.password_file = password_file;
        state.save_config(config);
        state.save_tokens(agent::Tokens{login.access, login.refresh, login.account_id,
                                        login.device_id, login.session_id});
        state.save_device_key(keys);
        state.save_account_key(agent::AccountKeyFile{m_account_key, 1});
        return a;
    }

    [[nodiscard]] ProcessOptions agent_command(const TestAgent& a, std::vector<std::string> args) {
        ProcessOptions o;
        o.args = {EDGESYNC_AGENT_BINARY, "--state-dir", a.state_dir().string()};
        o.args.insert(o.args.end(), args.begin(), args.end());
        o.unset_env = {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "STATE_DIRECTORY"};
        o.timeout = std::chrono::seconds(30);
        return o;
    }

    ProcessResult agent_run(const TestAgent& a, std::vector<std::string> args) {
        return run_process(agent_command(a, std::move(args)));
    }

    // `sync --once`, which must succeed.
    void sync(const TestAgent& a) {
        const auto r = agent_run(a, {"sync", "--once"});
        ASSERT_EQ(r.exit_code, 0) << a.name << ": " << describe(r);
    }

    nlohmann::json status_json(const TestAgent& a) {
        const auto r = agent_run(a, {"status", "--json"});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return nlohmann::json::parse(r.out, nullptr, false);
    }

    ServerApi m_api;
    ApiLogin m_owner;
    crypto::SecretBytes m_account_key;
};

}  // namespace edgesync::test
