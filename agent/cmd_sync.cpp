// `edgesync-agent sync --once` (one full two-way pass) and `edgesync-agent run`
// (the daemon): the lock, the session and the exit codes around the engine
// (sync_engine.hpp) and its loop (sync_daemon.hpp).
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <thread>

#include "agent/commands.hpp"
#include "agent/exit_codes.hpp"
#include "agent/sync_daemon.hpp"
#include "agent/sync_engine.hpp"
#include "agent/sync_lock.hpp"
#include "agent/sync_session.hpp"

namespace edgesync::agent {

namespace {

std::optional<StateLock> lock_or_say(const std::filesystem::path& state_dir) {
    auto lock = StateLock::try_acquire(state_dir);
    if (!lock)
        spdlog::error(
            "another edgesync-agent (run or sync) is already using the state "
            "directory {}",
            state_dir.string());
    return lock;
}

// A positive number of seconds from the environment, else `fallback`.
std::chrono::seconds seconds_from_env(const char* name, std::chrono::seconds fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return fallback;
    const long seconds = std::strtol(v, nullptr, 10);
    return seconds > 0 ? std::chrono::seconds(seconds) : fallback;
}

DaemonOptions daemon_options() {
    DaemonOptions o;
    o.rescan_interval = seconds_from_env("EDGESYNC_RESCAN_INTERVAL", o.rescan_interval);
    o.heartbeat_interval = seconds_from_env("EDGESYNC_HEARTBEAT_INTERVAL", o.heartbeat_interval);
    return o;
}

// Runs `body` and turns the end of the session into exit codes: revoked ->
// k_exit_revoked; ended -> log in again (password_file) and run it again.
template <typename Body>
int with_session(SyncSession& session, Body body) {
    for (int attempt = 0;; ++attempt) {
        try {
            return body();
        } catch (const DeviceRevoked&) {
            log_revoked(session);
            return k_exit_revoked;
        } catch (const SessionEnded&) {
            if (attempt >= 3) {
                spdlog::error("the session keeps ending right after logging in; giving up");
                return 1;
            }
            try {
                if (!login_again(session)) return 1;
            } catch (const DeviceRevoked&) {
                log_revoked(session);
                return k_exit_revoked;
            }
        }
    }
}

}  // namespace

int sync_once(const GlobalOptions& global) {
    setup_agent_logging(global.log_level);
    SyncSession session(global.state_dir);
    const auto lock = lock_or_say(global.state_dir);
    if (!lock) return 1;
    return with_session(session, [&] {
        SyncEngine engine(session.state, session.config, *session.api);
        try {
            engine.start();
            engine.full_pass();
        } catch (const std::exception& e) {
            engine.status().state = "stopped";
            engine.status().last_error = e.what();
            write_status_file(session.state.dir(), engine.status());
            throw;
        }
        engine.status().state = "stopped";
        write_status_file(session.state.dir(), engine.status());
        spdlog::info("sync done: {} files, {} conflict copies made", engine.file_count(),
                     engine.status().conflicts);
        return 0;
    });
}

int run_daemon(const GlobalOptions& global) {
    setup_agent_logging(global.log_level);
    // Blocked before any thread starts, so only the signal thread takes them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    SyncSession session(global.state_dir);
    const auto lock = lock_or_say(global.state_dir);
    if (!lock) return 1;
    const auto notifier = SystemdNotifier::from_environment();
    DaemonControl control;
    std::atomic<bool> done{false};
    std::thread signal_thread([&] {
        while (!done.load()) {
            const timespec wait{0, 200'000'000};
            const int sig = ::sigtimedwait(&signals, nullptr, &wait);
            if (sig == SIGTERM || sig == SIGINT) {
                spdlog::info("{}: finishing the file in flight",
                             sig == SIGTERM ? "SIGTERM" : "SIGINT");
                control.request_stop();
            } else if (sig == SIGHUP) {
                control.request_reload();
            }
        }
    });
    const auto options = daemon_options();
    int code = 1;
    try {
        code = with_session(session,
                            [&] { return run_sync_loop(session, notifier, control, options); });
    } catch (...) {
        done.store(true);
        signal_thread.join();
        throw;
    }
    done.store(true);
    signal_thread.join();
    return code;
}

}  // namespace edgesync::agent
