// `edgesync-agent sync --once` (one full two-way pass) and `edgesync-agent run`
// (the daemon): the lock, the session and the exit codes around the engine
// (sync_engine.hpp) and its loop (sync_daemon.hpp).
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "agent/commands.hpp"
#include "agent/exit_codes.hpp"
#include "agent/http_client.hpp"
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

// Whether logging in again failed in a way that heals by waiting: no answer
// (server down or unreachable) or a 5xx/429 (e.g. 503 while its Redis or
// Postgres is down or its pooled connections to them are being replaced). A
// refusal (wrong password, 4xx) will not heal.
bool transient_login_failure(const std::exception& e) {
    if (dynamic_cast<const TransportError*>(&e) != nullptr) return true;
    const auto* api = dynamic_cast<const ApiError*>(&e);
    return api != nullptr && !dynamic_cast<const SessionEnded*>(api) &&
           (api->status() >= 500 || api->status() == 429);
}

// What to do after a login that failed transiently, once `wait` returns.
enum class LoginWait { retry, give_up, stopped };

// Runs `body` and turns the end of the session into exit codes: revoked ->
// k_exit_revoked; ended -> log in again (password_file) and run it again.
// A session ending (e.g. Redis lost every session) usually comes with the
// server struggling: a login that fails transiently is retried with backoff
// as `wait(delay)` says (give_up: the error is thrown, e.g. `sync --once` out
// of attempts; stopped: SIGTERM meanwhile, exit 0). Giving up after sessions
// that keep ending counts only endings right after a login, not every ending
// over a long-lived daemon's life.
template <typename Body, typename Wait>
int with_session(SyncSession& session, Body body, Wait wait) {
    using Clock = std::chrono::steady_clock;
    auto logged_in_at = Clock::now();
    for (int attempt = 0;; ++attempt) {
        try {
            return body();
        } catch (const DeviceRevoked&) {
            log_revoked(session);
            return k_exit_revoked;
        } catch (const SessionEnded&) {
            if (Clock::now() - logged_in_at > std::chrono::minutes(1)) attempt = 0;
            if (attempt >= 3) {
                spdlog::error("the session keeps ending right after logging in; giving up");
                return 1;
            }
            std::chrono::milliseconds backoff{500};
            for (;;) {
                try {
                    if (!login_again(session)) return 1;
                    break;
                } catch (const DeviceRevoked&) {
                    log_revoked(session);
                    return k_exit_revoked;
                } catch (const std::exception& e) {
                    if (!transient_login_failure(e)) throw;
                    spdlog::warn("logging in again failed: {}; retrying", e.what());
                    const LoginWait next = wait(backoff);
                    if (next == LoginWait::stopped) return 0;
                    if (next == LoginWait::give_up) throw;
                    backoff = std::min(backoff * 2, std::chrono::milliseconds(30'000));
                }
            }
            logged_in_at = Clock::now();
        }
    }
}

}  // namespace

int sync_once(const GlobalOptions& global) {
    setup_agent_logging(global.log_level);
    SyncSession session(global.state_dir);
    const auto lock = lock_or_say(global.state_dir);
    if (!lock) return 1;
    int login_waits = 0;
    const auto wait = [&](std::chrono::milliseconds d) {
        if (++login_waits > 5) return LoginWait::give_up;  // ~15 s: a one-shot pass stops
        std::this_thread::sleep_for(d);
        return LoginWait::retry;
    };
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
    }, wait);
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
        // Until SIGTERM: a daemon outlives any outage of the server.
        const auto wait = [&](std::chrono::milliseconds d) {
            std::unique_lock guard(control.mutex);
            return control.changed.wait_for(guard, d, [&] { return control.stop; })
                       ? LoginWait::stopped
                       : LoginWait::retry;
        };
        code = with_session(
            session, [&] { return run_sync_loop(session, notifier, control, options); }, wait);
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
