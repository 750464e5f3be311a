#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

// Runs a program the way a user or a CI script would, for end-to-end tests:
// arguments, environment, working directory and stdin in; stdout, stderr and
// the exit status out; a timeout that kills a hung child instead of hanging
// the suite.
namespace edgesync::test {

struct ProcessOptions {
    std::vector<std::string> args;           // args[0]: a path, or a name looked up in PATH
    std::map<std::string, std::string> env;  // set in the child, over the inherited environment
    std::vector<std::string> unset_env;      // removed from the child's environment
    bool inherit_env = true;
    std::optional<std::filesystem::path> cwd;
    std::string stdin_data;  // written to the child's stdin, which is then closed
    // Give the child a pseudo-terminal as stdin (isatty(0) is true) instead of
    // a pipe; stdin_data is typed into it and it stays open until the child exits.
    bool stdin_is_tty = false;
    std::chrono::milliseconds timeout{60'000};  // then SIGKILL and timed_out = true
};

struct ProcessResult {
    int exit_code = -1;  // -1 when killed by a signal
    int signal = 0;      // the signal that ended the child, 0 when it exited
    bool timed_out = false;
    std::string out;
    std::string err;
};

// "exit 2, stdout: ..., stderr: ..." for assertion messages.
[[nodiscard]] std::string describe(const ProcessResult& result);

// A started child. wait() collects it; destroying an unwaited Process kills
// and reaps the child. Not copyable. The test process ignores SIGPIPE once a
// Process exists (so a child exiting early cannot kill it); children get the
// default disposition back.
class Process {
  public:
    explicit Process(const ProcessOptions& options);  // throws std::runtime_error
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    [[nodiscard]] pid_t pid() const noexcept { return m_pid; }
    // Feeds stdin, drains stdout/stderr until the child exits or the timeout.
    [[nodiscard]] ProcessResult wait();

  private:
    pid_t m_pid = -1;  // -1 once reaped
    int m_stdin = -1;  // our end of the child's stdin (pipe or pty master)
    int m_stdout = -1;
    int m_stderr = -1;
    bool m_tty = false;
    std::string m_stdin_data;
    std::chrono::steady_clock::time_point m_deadline;
};

// Process(options).wait().
[[nodiscard]] ProcessResult run_process(const ProcessOptions& options);

// The first executable named `name` in PATH or in `extra_dirs` (tried first).
[[nodiscard]] std::optional<std::filesystem::path> find_program(
    const std::string& name, const std::vector<std::filesystem::path>& extra_dirs = {});

}  // namespace edgesync::test
