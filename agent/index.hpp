#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/util/bytes.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace edgesync::agent {

// What the agent knows about one path, local and remote side.
enum class FileStatus {
    clean,     // the local file is what the server has at server_version
    dirty,     // changed locally, not pushed yet
    deleted,   // deleted locally (tombstone to push), or a remote tombstone applied
    conflict,  // a conflict is being resolved (conflict copy not finished yet)
};

[[nodiscard]] std::string_view to_string(FileStatus status) noexcept;
[[nodiscard]] std::optional<FileStatus> parse_file_status(std::string_view text) noexcept;

// Where a pending write comes from.
enum class PendingOrigin {
    pull,  // bytes from the server about to be written to the folder
    push,  // local bytes about to be sent to the server
};

// A write recorded (committed) BEFORE it happens, so that after a kill -9
// between the write and the index commit that covers it, a restart knows the
// bytes it finds for what they are (crash safety, docs/agent.md):
// - pull: the file at `path` may hold `content_hash`, which is a server
//   version (`version`), not a local edit;
// - push: the server may hold `content_hash` at `path` (a state this device
//   sent on top of `version`, 0 = new), not a version from another device.
struct PendingWrite {
    std::string path;
    PendingOrigin origin = PendingOrigin::pull;
    std::string state_key;
    Bytes content_hash;  // empty: a delete
    std::int64_t version = 0;

    friend bool operator==(const PendingWrite&, const PendingWrite&) = default;
};

struct IndexEntry {
    std::string path;       // canonical relative path (primary key)
    std::string state_key;  // state_key_for_path(name key, path)
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::uint32_t mode = 0;
    Bytes content_hash;               // empty if not known
    std::int64_t server_version = 0;  // 0: never on the server
    std::int64_t server_seq = 0;      // seq of the last server change applied or pushed
    FileStatus status = FileStatus::dirty;

    friend bool operator==(const IndexEntry&, const IndexEntry&) = default;
};

// The agent's local index: a SQLite database in the state directory.
// WAL journal with synchronous=NORMAL: a crash (even a power cut) leaves the
// database consistent at some committed transaction; a power cut may lose the
// last few commits, which the sync loop re-derives (rescan + changes feed from
// last_applied_seq), so it must record last_applied_seq in the same
// transaction as the entries it covers.
//
// Not thread-safe: one owner (the sync loop) uses it. Throws StorageError for
// any SQLite failure (disk full, corrupt file, newer schema).
class Index {
  public:
    // Opens (creating if needed) the database at `file` and brings its schema
    // to k_schema_version. Refuses a file written by a newer agent.
    [[nodiscard]] static Index open(const std::filesystem::path& file);

    static constexpr int k_schema_version = 2;

    Index(Index&&) noexcept;
    Index& operator=(Index&&) noexcept;
    ~Index();

    [[nodiscard]] std::optional<IndexEntry> find(std::string_view path);
    [[nodiscard]] std::optional<IndexEntry> find_by_state_key(std::string_view state_key);
    [[nodiscard]] std::vector<IndexEntry> all();  // ordered by path
    [[nodiscard]] std::vector<IndexEntry> with_status(FileStatus status);
    // Entries at `dir` and below it ("a" covers "a" and "a/..." but not "ab").
    [[nodiscard]] std::vector<IndexEntry> under(std::string_view dir);
    [[nodiscard]] std::size_t count();

    void upsert(const IndexEntry& entry);
    // True if the path was there.
    bool remove(std::string_view path);

    // Pending writes: several per path and origin (one per content hash): a
    // killed run's write and the one that replaced it are both still bytes
    // the server had or has.
    // Adds them in one transaction that is on disk when this returns (the
    // WAL is synced for this commit, synchronous=FULL): the writes they
    // announce must not survive a power cut that the announcement does not.
    void add_pending(const std::vector<PendingWrite>& writes);
    // Every one of the path's (of that origin); with `content_hash`, only that one.
    void remove_pending(std::string_view path, PendingOrigin origin,
                        const Bytes* content_hash = nullptr);
    void clear_pending(PendingOrigin origin);
    [[nodiscard]] std::vector<PendingWrite> pending();  // ordered by path

    // Free-form settings (device_id, ...). The names below are the known ones.
    [[nodiscard]] std::optional<std::string> meta(std::string_view key);
    void set_meta(std::string_view key, std::string_view value);
    [[nodiscard]] std::int64_t last_applied_seq();  // 0 if never set
    void set_last_applied_seq(std::int64_t seq);

    // One SQLite transaction. Rolls back on destruction unless committed, so an
    // exception between begin() and commit() leaves the index as it was.
    // Not nestable.
    class Transaction {
      public:
        explicit Transaction(Index& index);
        Transaction(const Transaction&) = delete;
        Transaction& operator=(const Transaction&) = delete;
        ~Transaction();
        void commit();

      private:
        Index* m_index;
        bool m_done = false;
    };
    [[nodiscard]] Transaction transaction() { return Transaction(*this); }

  private:
    explicit Index(sqlite3* db);
    void exec(const char* sql);
    sqlite3_stmt* statement(const char* sql);  // cached per SQL text
    std::vector<IndexEntry> query_entries(sqlite3_stmt* stmt);
    void migrate();
    void add_pending_row(const PendingWrite& pending);

    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

inline constexpr std::string_view k_meta_device_id = "device_id";
inline constexpr std::string_view k_meta_last_applied_seq = "last_applied_seq";

}  // namespace edgesync::agent
