#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "agent/sd_notify.hpp"
#include "agent/sync_session.hpp"

// `edgesync-agent run`: the engine driven by local and remote changes.
//
// Threads: the caller's thread owns the SyncEngine (and so the index) and does
// all syncing; a watcher thread feeds it debounced local paths; an event
// stream thread tells it that the remote log moved (it then pulls the changes
// feed from its cursor, which also covers any gap); the caller of run_daemon
// takes SIGTERM/SIGINT/SIGHUP on a signal thread. The loop also runs a full
// pass every rescan interval, beats presence every 20 s and pings the systemd
// watchdog.
namespace edgesync::agent {

struct DaemonOptions {
    std::chrono::seconds rescan_interval{600};  // $EDGESYNC_RESCAN_INTERVAL (seconds)
    std::chrono::seconds heartbeat_interval{20};
    // While the event stream is down (or the server has none): how often the
    // changes feed is polled instead.
    std::chrono::milliseconds poll_interval{1000};
};

// What the other threads hand the loop, under one mutex: the loop sleeps on
// `changed` until one of them is set or a timer is due.
struct DaemonControl {
    std::mutex mutex;
    std::condition_variable changed;
    bool stop = false;    // SIGTERM / SIGINT
    bool reload = false;  // SIGHUP
    // `stop` without the mutex, for the engine to check between pages/batches.
    std::atomic<bool> stop_flag{false};

    void request_stop() {
        std::lock_guard lock(mutex);
        stop = true;
        stop_flag.store(true);
        changed.notify_all();
    }
    void request_reload() {
        std::lock_guard lock(mutex);
        reload = true;
        changed.notify_all();
    }
    [[nodiscard]] bool stop_requested() {
        std::lock_guard lock(mutex);
        return stop;
    }
};

// Runs until SIGTERM/SIGINT (returns 0). Throws SessionEnded / DeviceRevoked
// when the server ends the session; the caller logs in again or exits.
[[nodiscard]] int run_sync_loop(SyncSession& session, const SystemdNotifier& notifier,
                                DaemonControl& control, const DaemonOptions& options);

}  // namespace edgesync::agent
