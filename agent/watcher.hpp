#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/unique_fd.hpp"

namespace edgesync::agent {

struct WatcherOptions {
    // A batch is handed out once no event arrived for this long...
    std::chrono::milliseconds debounce{20};
    // ...or at the latest this long after its first event, so a folder that
    // never stops changing still gets synced.
    std::chrono::milliseconds max_delay{1000};
    // Paths (relative, canonical) the caller does not want: ignore rules.
    // Skipped folders are not watched. Always skipped: the agent's temp files,
    // the state directory, and names that are not canonical (not UTF-8, ...).
    std::function<bool(std::string_view path, bool is_dir)> skip;
    std::filesystem::path state_dir;  // skipped if inside the root
};

// Paths that may have changed since the last batch. The watcher does not say
// how: the caller lstat()s each one. A path that no longer exists is gone,
// and if the index has entries below it, so are they (a folder deleted or
// moved away). A new folder (created or moved in) is listed with everything in
// it, since files can land in it before its watch is in place.
struct WatchBatch {
    std::vector<std::string> paths;  // sorted, unique
    // Events were lost (inotify queue overflow, a watch limit reached, the
    // root itself moved): only a full rescan can tell what changed.
    bool rescan = false;
};

// Recursive inotify watcher on the sync folder. Moves arrive as the old path
// plus the new path (delete + create). Symlinks are never followed.
//
// wait() is called by one thread; stop() may be called from any thread.
// Throws std::system_error if inotify cannot be set up at all.
class Watcher {
  public:
    Watcher(std::filesystem::path root, WatcherOptions options);
    Watcher(const Watcher&) = delete;
    Watcher& operator=(const Watcher&) = delete;

    // The next debounced batch; nullopt if `timeout` passed with no event, or
    // once stop() was called.
    [[nodiscard]] std::optional<WatchBatch> wait(std::chrono::milliseconds timeout);

    // Wakes wait() and makes it (and every later call) return nullopt.
    void stop() noexcept;

    [[nodiscard]] std::size_t watched_folders() const noexcept { return m_wd_of.size(); }

  private:
    using Clock = std::chrono::steady_clock;

    void add_tree(const std::string& rel, bool report);
    void remove_tree(const std::string& rel);
    void read_events();
    [[nodiscard]] bool skipped(std::string_view rel, bool is_dir) const;
    [[nodiscard]] std::filesystem::path full(const std::string& rel) const;
    void touch();                // an event arrived: moves the debounce clock
    void note(std::string rel);  // a path changed
    void request_rescan();       // events were lost

    std::filesystem::path m_root;
    WatcherOptions m_options;
    std::optional<std::string> m_state_rel;  // the state dir, relative, if inside the root
    UniqueFd m_inotify;
    UniqueFd m_stop;  // eventfd
    bool m_stopped = false;
    std::unordered_map<int, std::string> m_path_of;  // watch descriptor -> folder ("" = root)
    std::map<std::string, int> m_wd_of;  // folder -> watch descriptor (ordered: subtrees)
    std::set<std::string> m_pending;
    bool m_rescan = false;
    Clock::time_point m_first_event{};
    Clock::time_point m_last_event{};
};

}  // namespace edgesync::agent
