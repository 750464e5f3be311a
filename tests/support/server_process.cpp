#include "tests/support/server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <stdexcept>

#include "tests/support/test_env.hpp"

extern char** environ;

namespace edgesync::test {

namespace {

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("server process: " + what);
}

std::vector<std::string> child_environment(const std::map<std::string, std::string>& overrides) {
    std::map<std::string, std::string> vars;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string kv(*e);
        const auto eq = kv.find('=');
        if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const auto& [k, v] : overrides) vars[k] = v;
    std::vector<std::string> out;
    for (const auto& [k, v] : vars) out.push_back(k + "=" + v);
    return out;
}

}  // namespace

std::filesystem::path default_server_binary() {
    if (const char* override_path = std::getenv("EDGESYNC_TEST_SERVER_BINARY");
        override_path != nullptr && *override_path != '\0')
        return override_path;
    return EDGESYNC_SERVER_BINARY;
}

std::map<std::string, std::string> server_env(const std::string& database_url) {
    return {{"DATABASE_URL", database_url},
            {"REDIS_URL", redis_url()},
            {"JWT_SECRET", "e2e-test-secret-0123456789abcdef0123456789"},
            {"LOG_LEVEL", "info"}};
}

ServerProcess::ServerProcess(ServerOptions options) {
    static const bool sigpipe_ignored = [] { return ::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
    (void)sigpipe_ignored;

    int out[2] = {-1, -1}, err[2] = {-1, -1};
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
        fail(std::string("pipe: ") + std::strerror(errno));

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    const auto cwd = options.cwd.value_or(std::filesystem::temp_directory_path());
    posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> args = {options.binary.string(), "--listen", "127.0.0.1:0"};
    args.insert(args.end(), options.args.begin(), options.args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    auto env = child_environment(options.env);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);

    const int rc =
        ::posix_spawn(&m_pid, args[0].c_str(), &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(out[1]);
    ::close(err[1]);
    m_stdout = out[0];
    m_stderr = err[0];
    if (rc != 0) {
        m_pid = -1;
        ::close(m_stdout);
        ::close(m_stderr);
        fail("cannot run " + args[0] + ": " + std::strerror(rc));
    }
    m_reader = std::thread([this] { read_output(); });

    static const std::regex listening(R"(edgesync-server: listening on (\S+):(\d+)\n)");
    std::unique_lock lock(m_mutex);
    std::smatch m;
    const bool started = m_changed.wait_for(lock, options.startup_timeout, [&] {
        return std::regex_search(m_out, m, listening) || m_eof;
    });
    if (!started || !std::regex_search(m_out, m, listening)) {
        const std::string output = "stdout: " + m_out + "\nstderr: " + m_err;
        lock.unlock();
        ::kill(m_pid, SIGKILL);
        (void)wait(std::chrono::seconds(10));  // reaps it and joins the reader
        if (m_reader.joinable()) m_reader.join();
        fail(std::string(started ? "exited" : "did not start") + " before listening\n" + output);
    }
    m_host = m[1].str();
    m_port = static_cast<std::uint16_t>(std::stoi(m[2].str()));
}

ServerProcess::~ServerProcess() {
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
    }
    if (m_reader.joinable()) m_reader.join();
    if (m_stdout >= 0) ::close(m_stdout);
    if (m_stderr >= 0) ::close(m_stderr);
}

void ServerProcess::read_output() {
    char buf[8192];
    bool out_open = true, err_open = true;
    while (out_open || err_open) {
        pollfd fds[2] = {{out_open ? m_stdout : -1, POLLIN, 0},
                         {err_open ? m_stderr : -1, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
            const auto n = ::read(fds[i].fd, buf, sizeof buf);
            std::lock_guard lock(m_mutex);
            if (n > 0) {
                (i == 0 ? m_out : m_err).append(buf, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                (i == 0 ? out_open : err_open) = false;
            }
        }
        m_changed.notify_all();
    }
    std::lock_guard lock(m_mutex);
    m_eof = true;
    m_changed.notify_all();
}

void ServerProcess::signal(int signo) {
    if (m_pid > 0) ::kill(m_pid, signo);
}

std::optional<ExitStatus> ServerProcess::wait(std::chrono::milliseconds timeout) {
    if (m_status) return m_status;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
        if (r == m_pid) {
            m_pid = -1;
            ExitStatus s;
            if (WIFEXITED(status)) s.exit_code = WEXITSTATUS(status);
            if (WIFSIGNALED(status)) s.signal = WTERMSIG(status);
            m_status = s;
            if (m_reader.joinable()) m_reader.join();  // the pipes close with the process
            return m_status;
        }
        if (r < 0 && errno != EINTR) fail(std::string("waitpid: ") + std::strerror(errno));
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::string ServerProcess::out() const {
    std::lock_guard lock(m_mutex);
    return m_out;
}

std::string ServerProcess::err() const {
    std::lock_guard lock(m_mutex);
    return m_err;
}

bool ServerProcess::wait_for_err(std::string_view needle, std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, timeout, [&] {
        return m_err.find(needle) != std::string::npos || m_eof;
    }) && m_err.find(needle) != std::string::npos;
}

}  // namespace edgesync::test
