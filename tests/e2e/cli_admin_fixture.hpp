#pragma once

// The built `edgesync` binary run against this test's private database and
// the test Redis, beside the REAL services and repositories (from
// ServicesFixture) to seed data and to check what the binary changed, and a
// subscription to es:revocations opened before the test acts. Shared by the
// tests/e2e/test_cli_{account,device,session,admin}.cpp suites.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/services_fixture.hpp"
#include "tests/support/run_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace edgesync::test {

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

inline std::size_t line_count(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// A loopback TCP port that accepts connections (the kernel does) but never
// speaks: a hung Postgres or Redis.
class SilentServer {
  public:
    SilentServer() : m_fd(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        auto* sa = reinterpret_cast<sockaddr*>(&addr);
        if (m_fd < 0 || ::bind(m_fd, sa, sizeof addr) != 0 || ::listen(m_fd, 8) != 0 ||
            ::getsockname(m_fd, sa, &len) != 0)
            throw std::runtime_error("SilentServer: cannot listen on loopback");
        m_port = ntohs(addr.sin_port);
    }
    ~SilentServer() { ::close(m_fd); }
    SilentServer(const SilentServer&) = delete;
    SilentServer& operator=(const SilentServer&) = delete;
    [[nodiscard]] int port() const noexcept { return m_port; }

  private:
    int m_fd;
    int m_port = 0;
};

class CliAdmin : public ServicesFixture {
  protected:
    using ServicesFixture::ServicesFixture;

    // Runs edgesync in a scratch working directory (no stray .env) with
    // DATABASE_URL and REDIS_URL pointing at this test's services. stdin is
    // an empty pipe (not a terminal) unless `options` says otherwise.
    ProcessResult run(const std::vector<std::string>& args, ProcessOptions options = {}) const {
        options.args.insert(options.args.begin(), EDGESYNC_CLI_BINARY);
        options.args.insert(options.args.end(), args.begin(), args.end());
        options.env.try_emplace("DATABASE_URL", m_db.url());
        options.env.try_emplace("REDIS_URL", redis_url());
        options.unset_env.push_back("NO_COLOR");
        if (!options.cwd) options.cwd = m_cwd.path();
        options.timeout = std::chrono::seconds(60);  // a hang fails instead of blocking ctest
        return run_process(options);
    }
    ProcessResult run_ok(const std::vector<std::string>& args, ProcessOptions options = {}) const {
        auto r = run(args, std::move(options));
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return r;
    }
    // `edgesync --json ARGS`, expected to succeed with one JSON document.
    nlohmann::json run_json(const std::vector<std::string>& args,
                            ProcessOptions options = {}) const {
        std::vector<std::string> all{"--json"};
        all.insert(all.end(), args.begin(), args.end());
        const auto r = run_ok(all, std::move(options));
        EXPECT_EQ(line_count(r.out), 1U) << r.out;
        return nlohmann::json::parse(r.out);
    }
    // Fails the test unless the run exited with `code` and its stderr ends
    // with exactly one error line (prompts may come before it).
    ProcessResult run_fails(const std::vector<std::string>& args, int code,
                            ProcessOptions options = {}) const {
        auto r = run(args, std::move(options));
        EXPECT_EQ(r.exit_code, code) << describe(r);
        const auto at = r.err.find("edgesync: error: ");
        EXPECT_NE(at, std::string::npos) << r.err;
        if (at == std::string::npos) return r;
        const auto error = r.err.substr(at);
        EXPECT_EQ(line_count(error), 1U) << r.err;
        EXPECT_TRUE(error.ends_with("\n")) << r.err;
        // Only a prompt (answered on the terminal, whose echo ends its line) may come first.
        EXPECT_TRUE(at == 0 || r.err[at - 1] == '\n' || r.err[at - 1] == ' ') << r.err;
        return r;
    }

    // stdin is a pseudo-terminal on which `typed` is typed.
    static ProcessOptions terminal(std::string typed) {
        ProcessOptions o;
        o.stdin_is_tty = true;
        o.stdin_data = std::move(typed);
        return o;
    }
    static ProcessOptions piped(std::string data) {
        ProcessOptions o;
        o.stdin_data = std::move(data);
        return o;
    }

    Account account_now(const Account& a) {
        auto r = m_accounts.resolve(a.id, /*include_deleted=*/true);
        EXPECT_TRUE(r.has_value());
        return *r;
    }
    std::vector<Device> devices_now(const Account& a) { return m_devices.list(a.id); }

    TempDir m_cwd;
};

}  // namespace edgesync::test
