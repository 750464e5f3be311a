#include "cli/password_input.hpp"

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <iterator>

#include "shared/crypto/password.hpp"

namespace edgesync::cli {
namespace {

// More than any acceptable password (1024 bytes); stops an endless stdin.
constexpr std::size_t k_stdin_limit = 64 * 1024;

// The terminal settings to put back if a signal ends the program while echo
// is off. Written before the handlers are installed, read only by them.
termios g_saved_termios{};

extern "C" void restore_terminal_and_reraise(int sig) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);  // async-signal-safe
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

// Echo off on stdin's terminal for the guard's lifetime, restored on every
// way out: return, exception, SIGINT/SIGTERM/SIGHUP/SIGQUIT.
class EchoOff {
  public:
    EchoOff() {
        if (::tcgetattr(STDIN_FILENO, &g_saved_termios) != 0) return;
        termios quiet = g_saved_termios;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        struct sigaction sa {};
        sa.sa_handler = restore_terminal_and_reraise;
        sigemptyset(&sa.sa_mask);
        for (int i = 0; i < k_signals; ++i) ::sigaction(k_signal[i], &sa, &m_old[i]);
        // TCSANOW, not TCSAFLUSH: what was typed ahead stays readable.
        m_active = ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
    }
    ~EchoOff() {
        if (m_active) ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
        for (int i = 0; i < k_signals; ++i) ::sigaction(k_signal[i], &m_old[i], nullptr);
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

  private:
    static constexpr int k_signals = 4;
    static constexpr int k_signal[k_signals] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    struct sigaction m_old[k_signals] {};
    bool m_active = false;
};

std::string ask(std::string_view prompt) {
    fmt::print(stderr, "{}", prompt);
    std::fflush(stderr);
    std::string line;
    const bool got = static_cast<bool>(std::getline(std::cin, line));
    fmt::print(stderr, "\n");  // the user's Enter was not echoed
    if (!got) throw Error("no password entered: nothing was changed");
    if (line.ends_with('\r')) line.pop_back();
    return line;
}

std::string from_stdin_stream() {
    std::string text;
    char buf[4096];
    while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
        text.append(buf, static_cast<std::size_t>(std::cin.gcount()));
        if (text.size() > k_stdin_limit)
            throw UsageError("--password-stdin: stdin holds more than a password");
    }
    if (text.ends_with('\n')) text.pop_back();
    if (text.ends_with('\r')) text.pop_back();
    if (text.empty()) throw UsageError("--password-stdin: stdin is empty");
    return text;
}

}  // namespace

std::string read_new_password(const Context& context, bool from_stdin, std::string_view subject) {
    if (from_stdin) return from_stdin_stream();
    if (!context.stdin_is_tty)
        throw UsageError(
            "no password: pass it on stdin with --password-stdin, or run on a terminal to be "
            "asked (never on the command line)");
    EchoOff quiet;
    auto first = ask(fmt::format("edgesync: new password for {}: ", subject));
    if (auto weak = crypto::check_password_policy(first)) throw UsageError(*weak);
    if (ask("edgesync: repeat the password: ") != first)
        throw Error("the passwords do not match: nothing was changed");
    return first;
}

}  // namespace edgesync::cli
