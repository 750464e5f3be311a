#include "tests/support/run_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace edgesync::test {
namespace {

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

std::vector<std::string> child_environment(const ProcessOptions& o) {
    std::map<std::string, std::string> vars;
    if (o.inherit_env)
        for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
            const std::string kv(*e);
            const auto eq = kv.find('=');
            if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
        }
    for (const auto& name : o.unset_env) vars.erase(name);
    for (const auto& [k, v] : o.env) vars[k] = v;
    std::vector<std::string> out;
    for (const auto& [k, v] : vars) out.push_back(k + "=" + v);
    return out;
}

// Owns posix_spawn's C structures for one spawn.
struct SpawnSetup {
    posix_spawn_file_actions_t actions{};
    posix_spawnattr_t attr{};
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

std::string describe(const ProcessResult& r) {
    std::string status = r.timed_out     ? "timed out"
                         : r.signal != 0 ? "killed by signal " + std::to_string(r.signal)
                                         : "exit " + std::to_string(r.exit_code);
    return status + "\n--- stdout ---\n" + r.out + "--- stderr ---\n" + r.err;
}

Process::Process(const ProcessOptions& o)
    : m_tty(o.stdin_is_tty),
      m_stdin_data(o.stdin_data),
      m_deadline(std::chrono::steady_clock::now() + o.timeout) {
    if (o.args.empty()) throw std::runtime_error("Process: no program given");
    static const bool sigpipe_ignored = [] { return ::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
    (void)sigpipe_ignored;

    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    if (m_tty) {
        if (::openpty(&in[1], &in[0], nullptr, nullptr, nullptr) != 0) fail("openpty");
        ::fcntl(in[0], F_SETFD, FD_CLOEXEC);
        ::fcntl(in[1], F_SETFD, FD_CLOEXEC);
    } else if (::pipe2(in, O_CLOEXEC) != 0) {
        fail("pipe");
    }
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) fail("pipe");

    SpawnSetup setup;
    posix_spawn_file_actions_adddup2(&setup.actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&setup.actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&setup.actions, err[1], STDERR_FILENO);
    if (o.cwd) posix_spawn_file_actions_addchdir_np(&setup.actions, o.cwd->c_str());
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&setup.attr, &defaults);
    short flags = POSIX_SPAWN_SETSIGDEF;
    if (m_tty) flags |= POSIX_SPAWN_SETSID;  // the pty may become its controlling terminal
    posix_spawnattr_setflags(&setup.attr, flags);

    std::vector<char*> argv;
    for (const auto& a : o.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const auto env = child_environment(o);
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    const int rc = ::posix_spawnp(&m_pid, o.args[0].c_str(), &setup.actions, &setup.attr,
                                  argv.data(), envp.data());
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    m_stdin = in[1];
    m_stdout = out[0];
    m_stderr = err[0];
    if (rc != 0) {
        m_pid = -1;
        close_fd(m_stdin);
        close_fd(m_stdout);
        close_fd(m_stderr);
        errno = rc;
        fail("cannot run " + o.args[0]);
    }
    for (const int fd : {m_stdin, m_stdout, m_stderr})
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

Process::~Process() {
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
    }
    close_fd(m_stdin);
    close_fd(m_stdout);
    close_fd(m_stderr);
}

ProcessResult Process::wait() {
    ProcessResult result;
    std::size_t written = 0;
    if (!m_tty && m_stdin_data.empty()) close_fd(m_stdin);
    char buf[8192];
    while (m_stdout >= 0 || m_stderr >= 0) {
        const auto now = std::chrono::steady_clock::now();
        if (!result.timed_out && now >= m_deadline) {
            result.timed_out = true;
            ::kill(m_pid, SIGKILL);
        }
        pollfd fds[3] = {{m_stdout, POLLIN, 0}, {m_stderr, POLLIN, 0}, {m_stdin, 0, 0}};
        if (m_stdin >= 0)
            fds[2].events = static_cast<short>((written < m_stdin_data.size() ? POLLOUT : 0) |
                                               (m_tty ? POLLIN : 0));
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(m_deadline - now);
        const int wait_ms =
            result.timed_out ? 100 : static_cast<int>(std::max<long>(1, left.count()));
        if (::poll(fds, 3, wait_ms) < 0 && errno != EINTR) fail("poll");
        for (int i = 0; i < 2; ++i) {
            int& fd = i == 0 ? m_stdout : m_stderr;
            if (fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
            const auto n = ::read(fd, buf, sizeof buf);
            if (n > 0)
                (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
            else if (n == 0 || errno != EAGAIN)
                close_fd(fd);
        }
        if (m_stdin >= 0 && (fds[2].revents & POLLOUT) != 0) {
            const auto n =
                ::write(m_stdin, m_stdin_data.data() + written, m_stdin_data.size() - written);
            if (n > 0) written += static_cast<std::size_t>(n);
            if ((n < 0 && errno != EAGAIN) || (!m_tty && written == m_stdin_data.size()))
                close_fd(m_stdin);
        }
        if (m_tty && m_stdin >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            if (::read(m_stdin, buf, sizeof buf) <= 0 && errno != EAGAIN) close_fd(m_stdin);
        }
    }
    close_fd(m_stdin);
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_pid = -1;
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    return result;
}

ProcessResult run_process(const ProcessOptions& options) { return Process(options).wait(); }

std::optional<std::filesystem::path> find_program(
    const std::string& name, const std::vector<std::filesystem::path>& extra_dirs) {
    std::vector<std::filesystem::path> dirs = extra_dirs;
    if (const char* path = std::getenv("PATH")) {
        std::string p(path);
        for (std::size_t start = 0; start <= p.size();) {
            const auto colon = p.find(':', start);
            dirs.emplace_back(p.substr(start, colon == std::string::npos ? p.npos : colon - start));
            if (colon == std::string::npos) break;
            start = colon + 1;
        }
    }
    for (const auto& dir : dirs) {
        const auto candidate = dir / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return std::nullopt;
}

}  // namespace edgesync::test
