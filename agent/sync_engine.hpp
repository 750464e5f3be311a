#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/agent_state.hpp"
#include "agent/api_client.hpp"
#include "agent/ignore.hpp"
#include "agent/index.hpp"
#include "agent/payload.hpp"
#include "agent/scanner.hpp"
#include "agent/staged_writes.hpp"
#include "agent/state_api.hpp"
#include "agent/sync_status.hpp"

// The sync engine: one owner thread drives it (the index is not thread-safe).
//
// pull(): the changes feed from index.last_applied_seq, each state decrypted
// and applied (written atomically / deleted); a file changed locally since the
// index saw it is first kept as a conflict copy (the remote version keeps the
// name); a remote delete of a locally edited file loses (the edit is pushed
// again). last_applied_seq moves in the same transaction as the entries.
//
// push_*(): local changes pushed with preconditions (If-None-Match: * for new
// keys, If-Match for known ones), small files batched within the server's
// limits; a precondition failure applies the server's current state through
// the same path as a pull (so the local bytes survive as a conflict copy,
// pushed next round) and the rest is retried. Nothing is ever overwritten
// without its bytes being kept somewhere.
namespace edgesync::agent {

class SyncEngine {
  public:
    // Loads the account key and opens the index; throws std::runtime_error
    // when the state directory is not enrolled or has no account key yet.
    SyncEngine(const AgentState& state, const AgentConfig& config, ApiClient& api);
    ~SyncEngine();
    SyncEngine(const SyncEngine&) = delete;
    SyncEngine& operator=(const SyncEngine&) = delete;

    // When set (SIGTERM), long passes stop at the next page or batch boundary:
    // everything done so far is committed to the index.
    void set_stop_flag(const std::atomic<bool>* stop) noexcept { m_stop = stop; }
    [[nodiscard]] bool stopping() const noexcept { return m_stop != nullptr && m_stop->load(); }

    // GET /v1/info; removes stale temp files. Throws like ApiClient::call.
    void start();

    // Re-reads .edgesyncignore (also done by every full pass).
    void reload_ignore_rules();

    // pull, scan + push, and again while pushes met conflicts (bounded).
    void full_pass();
    // The changes feed from the cursor; true when something was applied.
    bool pull();
    // Pushes the changes among `paths` (from the watcher: each is lstat()ed;
    // gone means deleted with everything the index has below it). Paths that
    // were being written return in `retry` (try again a little later).
    void push_paths(const std::vector<std::string>& paths, std::vector<std::string>& retry);

    // Marks the engine idle and stamps last_sync (after any successful work).
    void finish_pass();

    // Paths a pull or a conflict decided must be pushed again (a local edit
    // that beat a remote delete); full_pass() covers them by its scan, `run`
    // hands them to push_paths().
    [[nodiscard]] std::vector<std::string> take_repush();

    [[nodiscard]] std::int64_t last_applied_seq();
    [[nodiscard]] std::size_t file_count();
    [[nodiscard]] const IgnoreRules& ignore_rules() const noexcept { return m_ignore; }
    // Moves each time the rules are re-read (SIGHUP, a full pass, or the
    // .edgesyncignore file changed here or arrived from another device).
    [[nodiscard]] std::uint64_t ignore_generation() const noexcept { return m_ignore_generation; }
    [[nodiscard]] SyncStatus& status() noexcept { return m_status; }
    [[nodiscard]] const std::string& device_id() const noexcept { return m_config.device_id; }

  private:
    struct Upload;
    struct Applied;
    // Applies one remote state (a 412's `current`) on the owner thread; false
    // when it could not be applied for a reason that may heal (I/O).
    bool apply_remote(const RemoteState& remote);
    // The file side of applying one state: decrypt, keep a conflict copy,
    // write or delete. Touches neither the index nor the status, so a pull
    // runs several at once (sync_pull.cpp). `opened`: the state already
    // decrypted (a pull's first phase), else it is decrypted here.
    // `staged`: the write is only staged there (a bulk pull commits them all
    // at once, staged_writes.hpp), else it is written and synced here.
    [[nodiscard]] Applied apply_remote_files(
        const RemoteState& remote, const std::optional<IndexEntry>& entry,
        const std::expected<FileRecord, PayloadError>* opened = nullptr,
        StagedWrites* staged = nullptr) const;
    // Records writes in the index (committed, one transaction) before they
    // happen, so a restart after a kill in between knows the bytes it finds
    // (PendingWrite); mirrored in m_pending_pulls / m_pending_pushes.
    void record_pending(const std::vector<PendingWrite>& writes);
    // All of the path's pending writes of that origin; with `hash`, only that one.
    void drop_pending(const std::string& path, PendingOrigin origin, const Bytes* hash = nullptr);
    // Whether `hash` is one of the path's pending writes of that origin.
    [[nodiscard]] bool is_pending(const std::string& path, PendingOrigin origin,
                                  const Bytes& hash) const;
    void clear_pending_pulls();
    [[nodiscard]] const PendingWrite* pending_pull_by_key(std::string_view key) const;
    // The index and status side, on the owner thread; returns Applied::ok.
    bool commit_applied(Applied&& applied);
    // The hash of the file on disk when its bytes are not those the index
    // records as synced (new here, or edited); nullopt when unchanged or absent.
    [[nodiscard]] std::optional<Bytes> local_edit(const std::string& path,
                                                  const std::optional<IndexEntry>& entry) const;
    // Copies the local file to its conflict copy name (unless a copy of the
    // same bytes is already there); false if it could not be read (try again later).
    bool keep_conflict_copy(const std::string& path) const;
    [[nodiscard]] bool has_conflict_copy_of(const std::string& path, const Bytes& hash) const;
    // A remote state holding what a pending push sent: the synced base.
    void adopt_own_push(const RemoteState& remote, const FileMeta& meta, Applied& out) const;
    void resolve_conflict(const Upload& upload, const WriteConflict& conflict);

    // Pushes `changes`; false when a conflict was met (caller pulls + retries).
    bool push_changes(const std::vector<LocalChange>& changes, std::vector<std::string>* retry);
    bool send_batch(std::vector<Upload>& uploads);
    void record_done(const Upload& upload, const WriteDone& done);
    [[nodiscard]] std::uint64_t max_file_bytes(std::string_view path) const;
    void note_too_large(const std::string& path);

    const AgentState& m_state;
    AgentConfig m_config;
    ApiClient& m_api;
    StateApi m_states;
    std::unique_ptr<PayloadCipher> m_cipher;
    Index m_index;
    IgnoreRules m_ignore;
    std::uint64_t m_ignore_generation = 0;
    ServerLimits m_limits;
    SkipReporter m_skips;
    std::set<std::string> m_too_large;
    std::vector<std::string> m_repush;
    // path -> the index's pending writes (table `pending`); read on the
    // pull's threads, changed only on the owner thread between phases.
    std::map<std::string, std::vector<PendingWrite>> m_pending_pulls;
    std::map<std::string, std::vector<PendingWrite>> m_pending_pushes;
    SyncStatus m_status;
    const std::atomic<bool>* m_stop = nullptr;
};

}  // namespace edgesync::agent
