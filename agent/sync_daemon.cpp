#include "agent/sync_daemon.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <set>
#include <thread>

#include "agent/event_stream.hpp"
#include "agent/http_client.hpp"
#include "agent/sync_engine.hpp"
#include "agent/watcher.hpp"

namespace edgesync::agent {

namespace {

using Clock = std::chrono::steady_clock;

// Guarded by DaemonControl::mutex.
struct Inbox {
    std::set<std::string> paths;  // from the watcher
    bool rescan = false;          // the watcher lost events
    bool pull = false;            // the remote log moved (or the stream reconnected)
    bool connected = false;       // the event stream is up
    std::int64_t newest_seq = 0;  // the newest seq the stream announced
    std::exception_ptr error;     // the stream gave up (SessionEnded / DeviceRevoked)
};

// The worker threads of one loop; the destructor stops and joins them, also
// when the loop leaves by an exception.
class Workers {
  public:
    explicit Workers(Watcher& watcher) : m_watcher(watcher) {}
    Workers(const Workers&) = delete;
    Workers& operator=(const Workers&) = delete;
    ~Workers() { stop(); }

    void start_watcher(DaemonControl& control, Inbox& inbox) {
        m_watch_thread = std::thread([this, &control, &inbox] {
            while (!m_stop.load()) {
                auto batch = m_watcher.wait(std::chrono::milliseconds(500));
                if (!batch) continue;
                std::lock_guard lock(control.mutex);
                inbox.paths.insert(batch->paths.begin(), batch->paths.end());
                inbox.rescan = inbox.rescan || batch->rescan;
                control.changed.notify_all();
            }
        });
    }

    void start_stream(ApiClient& api, std::int64_t after, const std::string& device_id,
                      DaemonControl& control, Inbox& inbox) {
        m_stream_thread = std::thread([this, &api, after, device_id, &control, &inbox] {
            EventStream stream(api);
            EventStream::Callbacks callbacks;
            callbacks.on_event = [&](const StreamEvent& ev) {
                std::lock_guard lock(control.mutex);
                inbox.newest_seq = std::max(inbox.newest_seq, ev.seq);
                // Our own writes are in the index already; the cursor passes
                // them on the next pull.
                if (ev.device_id != device_id) {
                    inbox.pull = true;
                    control.changed.notify_all();
                }
                return !m_stop.load();
            };
            callbacks.on_connection = [&](bool up) {
                std::lock_guard lock(control.mutex);
                inbox.connected = up;
                if (up) inbox.pull = true;  // whatever happened while it was down
                control.changed.notify_all();
            };
            std::int64_t cursor = after;
            while (!m_stop.load()) {
                try {
                    stream.run(cursor, callbacks, m_stop);
                    return;
                } catch (const SessionEnded&) {
                    std::lock_guard lock(control.mutex);
                    inbox.error = std::current_exception();
                    control.changed.notify_all();
                    return;
                } catch (const DeviceRevoked&) {
                    std::lock_guard lock(control.mutex);
                    inbox.error = std::current_exception();
                    control.changed.notify_all();
                    return;
                } catch (const ApiError& e) {
                    // E.g. a server without the stream route: the loop polls
                    // the changes feed meanwhile; try the stream again later.
                    spdlog::warn("event stream unavailable ({}); polling for changes instead",
                                 e.what());
                }
                cursor = std::max(cursor, stream.cursor());
                for (int i = 0; i < 300 && !m_stop.load(); ++i)
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        });
    }

    void stop() {
        m_stop.store(true);
        m_watcher.stop();
        if (m_watch_thread.joinable()) m_watch_thread.join();
        if (m_stream_thread.joinable()) m_stream_thread.join();
    }

  private:
    Watcher& m_watcher;
    std::atomic<bool> m_stop{false};
    std::thread m_watch_thread;
    std::thread m_stream_thread;
};

std::string status_line(SyncEngine& engine) {
    const auto& s = engine.status();
    if (s.state == "idle") return fmt::format("idle, {} files", s.files);
    if (s.state == "offline") return "offline: " + s.last_error;
    return s.state;
}

}  // namespace

int run_sync_loop(SyncSession& session, const SystemdNotifier& notifier, DaemonControl& control,
                  const DaemonOptions& options) {
    SyncEngine engine(session.state, session.config, *session.api);
    engine.set_stop_flag(&control.stop_flag);
    auto ignore = std::make_shared<const IgnoreRules>();
    std::mutex ignore_mutex;  // guards `ignore` (the watcher thread reads it)
    std::uint64_t published_generation = 0;
    const auto publish_ignore = [&] {  // the engine's current rules to the watcher
        if (engine.ignore_generation() == published_generation) return;
        published_generation = engine.ignore_generation();
        std::lock_guard lock(ignore_mutex);
        ignore = std::make_shared<const IgnoreRules>(engine.ignore_rules());
    };

    WatcherOptions watch_options;
    watch_options.state_dir = session.state.dir();
    watch_options.skip = [&](std::string_view path, bool is_dir) {
        std::shared_ptr<const IgnoreRules> rules;
        {
            std::lock_guard lock(ignore_mutex);
            rules = ignore;
        }
        return rules->is_ignored(path, is_dir);
    };
    // Watching starts before the first pass, so nothing written during it is
    // missed; with the ignore rules already read, ignored folders are not watched.
    engine.reload_ignore_rules();
    publish_ignore();
    Watcher watcher(session.config.sync_dir, watch_options);
    Inbox inbox;
    Workers workers(watcher);
    auto write_status = [&] {
        {
            std::lock_guard lock(control.mutex);
            engine.status().connected = inbox.connected || engine.status().connected;
            const auto applied = engine.last_applied_seq();
            engine.status().pending_down =
                inbox.newest_seq > applied ? static_cast<std::uint64_t>(inbox.newest_seq - applied)
                                           : 0;
        }
        write_status_file(session.state.dir(), engine.status());
        notifier.status(status_line(engine));
    };

    // The first pass: retried while the server cannot be reached.
    std::chrono::milliseconds backoff{500};
    for (;;) {
        try {
            engine.start();
            publish_ignore();
            engine.full_pass();
            break;
        } catch (const SessionEnded&) {
            throw;
        } catch (const DeviceRevoked&) {
            throw;
        } catch (const std::exception& e) {  // TransportError, ApiError (5xx)
            spdlog::warn("first sync pass failed: {}; retrying", e.what());
            engine.status().state = "offline";
            engine.status().connected = false;
            engine.status().last_error = e.what();
            write_status();
        }
        std::unique_lock lock(control.mutex);
        if (control.changed.wait_for(lock, backoff, [&] { return control.stop; })) {
            lock.unlock();
            engine.status().state = "stopped";
            write_status_file(session.state.dir(), engine.status());
            return 0;
        }
        backoff = std::min(backoff * 2, std::chrono::milliseconds(30'000));
    }
    engine.status().last_error.clear();
    write_status();
    notifier.ready();
    spdlog::info("in sync: {} files in {}", engine.file_count(), session.config.sync_dir.string());

    workers.start_watcher(control, inbox);
    workers.start_stream(*session.api, engine.last_applied_seq(), session.config.device_id, control,
                         inbox);

    const auto watchdog = SystemdNotifier::watchdog_interval();
    auto now = Clock::now();
    auto next_rescan = now + options.rescan_interval;
    auto next_heartbeat = now;
    auto next_watchdog = now;
    auto next_status = now + std::chrono::seconds(5);
    auto next_poll = now + options.poll_interval;
    std::vector<std::string> retry;
    auto retry_at = Clock::time_point::max();
    auto resume_at = Clock::time_point::min();  // after a failure: wait before syncing again
    bool pending_pull = false;
    bool pending_rescan = false;
    std::set<std::string> pending_paths;

    for (;;) {
        bool stop = false;
        bool reload = false;
        {
            std::unique_lock lock(control.mutex);
            auto deadline = std::min({next_rescan, next_heartbeat, next_status, retry_at});
            if (!inbox.connected) deadline = std::min(deadline, next_poll);
            if (watchdog) deadline = std::min(deadline, next_watchdog);
            if (pending_pull || pending_rescan || !pending_paths.empty())
                deadline = std::min(deadline, std::max(resume_at, Clock::now()));
            control.changed.wait_until(lock, deadline, [&] {
                return control.stop || control.reload || inbox.pull || inbox.rescan ||
                       !inbox.paths.empty() || inbox.error;
            });
            if (inbox.error) std::rethrow_exception(inbox.error);
            stop = control.stop;
            reload = std::exchange(control.reload, false);
            pending_pull = pending_pull || std::exchange(inbox.pull, false);
            pending_rescan = pending_rescan || std::exchange(inbox.rescan, false);
            pending_paths.merge(inbox.paths);
            inbox.paths.clear();
            if (!inbox.connected && Clock::now() >= next_poll) {
                pending_pull = true;  // no stream: poll the changes feed
                next_poll = Clock::now() + options.poll_interval;
            }
        }
        if (stop) break;
        now = Clock::now();
        if (reload) {
            notifier.reloading();
            engine.reload_ignore_rules();
            publish_ignore();
            spdlog::info("SIGHUP: reloaded the ignore rules");
            pending_rescan = true;
            notifier.ready();
        }
        if (now >= retry_at) {
            pending_paths.insert(retry.begin(), retry.end());
            retry.clear();
            retry_at = Clock::time_point::max();
        }
        if (now >= next_rescan) pending_rescan = true;
        bool worked = false;
        if (now >= resume_at) {
            try {
                if (pending_rescan) {
                    engine.full_pass();
                    pending_rescan = false;
                    pending_pull = false;
                    pending_paths.clear();
                    next_rescan = Clock::now() + options.rescan_interval;
                    worked = true;
                }
                if (pending_pull) {
                    engine.pull();
                    pending_pull = false;
                    worked = true;
                }
                for (auto& p : engine.take_repush()) pending_paths.insert(std::move(p));
                if (!pending_paths.empty()) {
                    const std::vector<std::string> paths(pending_paths.begin(),
                                                         pending_paths.end());
                    pending_paths.clear();
                    engine.push_paths(paths, retry);
                    for (auto& p : engine.take_repush()) retry.push_back(std::move(p));
                    if (!retry.empty()) retry_at = Clock::now() + std::chrono::milliseconds(250);
                    worked = true;
                }
                publish_ignore();
                if (worked) {
                    engine.finish_pass();
                    engine.status().last_error.clear();
                    backoff = std::chrono::milliseconds(500);
                }
            } catch (const SessionEnded&) {
                throw;
            } catch (const DeviceRevoked&) {
                throw;
            } catch (const std::exception& e) {  // TransportError, ApiError, I/O
                spdlog::warn("sync failed: {}; retrying", e.what());
                engine.status().connected = false;
                engine.status().last_error = e.what();
                engine.status().state = "offline";
                pending_rescan = true;  // a full pass re-derives whatever was in flight
                resume_at = Clock::now() + backoff;
                backoff = std::min(backoff * 2, std::chrono::milliseconds(30'000));
                worked = true;
            }
        }
        now = Clock::now();
        if (now >= next_heartbeat) {
            try {
                (void)session.api->call("POST", "/v1/presence/heartbeat", {{"status", "online"}});
            } catch (const SessionEnded&) {
                throw;
            } catch (const DeviceRevoked&) {
                throw;
            } catch (const std::exception& e) {
                spdlog::debug("presence heartbeat failed: {}", e.what());
            }
            next_heartbeat = now + options.heartbeat_interval;
        }
        if (watchdog && now >= next_watchdog) {
            notifier.watchdog();
            next_watchdog = now + std::chrono::duration_cast<Clock::duration>(*watchdog);
        }
        if (worked || now >= next_status) {
            write_status();
            next_status = now + std::chrono::seconds(5);
        }
        // A bulk pull or push frees its buffers, but glibc keeps the pages
        // (one arena per file thread): give them back, so an idle agent's RSS
        // is its index and caches, not the largest batch it ever handled.
        if (worked) ::malloc_trim(0);
    }

    spdlog::info("stopping");
    notifier.stopping();
    workers.stop();
    engine.status().state = "stopped";
    engine.status().connected = false;
    write_status_file(session.state.dir(), engine.status());
    return 0;
}

}  // namespace edgesync::agent
