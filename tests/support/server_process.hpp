#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

// The built edgesync-server, started for one test: on 127.0.0.1 with a port
// the kernel picks (read back from its "listening on" line), its stdout and
// stderr captured continuously, signals on demand. Suites that test routes
// end to end start one per fixture.
namespace edgesync::test {

[[nodiscard]] std::filesystem::path default_server_binary();

struct ServerOptions {
    // After `--listen 127.0.0.1:0`, e.g. {"--read-timeout", "1s"}.
    std::vector<std::string> args;
    // Set in the child over the inherited environment; callers normally pass
    // DATABASE_URL, REDIS_URL and JWT_SECRET (see server_env()).
    std::map<std::string, std::string> env;
    // The working directory; default: a directory without a .env file.
    std::optional<std::filesystem::path> cwd;
    std::chrono::milliseconds startup_timeout{30'000};
    // The built server, or $EDGESYNC_TEST_SERVER_BINARY when set (e.g. a
    // ThreadSanitizer build of it).
    std::filesystem::path binary = default_server_binary();
};

// DATABASE_URL = `database_url`, REDIS_URL = test::redis_url(), a strong
// JWT_SECRET, LOG_LEVEL=info.
[[nodiscard]] std::map<std::string, std::string> server_env(const std::string& database_url);

struct ExitStatus {
    int exit_code = -1;  // -1 when killed by a signal
    int signal = 0;
};

class ServerProcess {
  public:
    // Starts the server and waits for its listening line. Throws
    // std::runtime_error with everything it printed if it exits or stays
    // silent past startup_timeout.
    explicit ServerProcess(ServerOptions options);
    // Kills (SIGKILL) and reaps the server if it is still running.
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    [[nodiscard]] const std::string& host() const noexcept { return m_host; }
    [[nodiscard]] std::uint16_t port() const noexcept { return m_port; }
    [[nodiscard]] pid_t pid() const noexcept { return m_pid; }

    void signal(int signo);
    // The exit status, or nullopt if still running after `timeout`.
    [[nodiscard]] std::optional<ExitStatus> wait(std::chrono::milliseconds timeout);

    // Output so far (complete once wait() returned a status).
    [[nodiscard]] std::string out() const;
    [[nodiscard]] std::string err() const;
    // True once stderr contains `needle`; false after `timeout`.
    [[nodiscard]] bool wait_for_err(std::string_view needle, std::chrono::milliseconds timeout);

  private:
    void read_output();  // the reader thread

    pid_t m_pid = -1;  // -1 once reaped
    int m_stdout = -1;
    int m_stderr = -1;
    std::string m_host;
    std::uint16_t m_port = 0;
    std::optional<ExitStatus> m_status;

    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::string m_out;   // guarded
    std::string m_err;   // guarded
    bool m_eof = false;  // guarded: both pipes closed
    std::thread m_reader;
};

}  // namespace edgesync::test
