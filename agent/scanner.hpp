#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "agent/ignore.hpp"
#include "agent/index.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::agent {

enum class EntryType { file, directory };

// One regular file or folder under the sync root, as lstat() saw it.
struct ScanEntry {
    std::string path;  // canonical relative path
    EntryType type = EntryType::file;
    std::uint64_t size = 0;  // 0 for folders
    std::int64_t mtime_ns = 0;
    std::uint32_t mode = 0;  // k_synced_mode_bits only

    friend bool operator==(const ScanEntry&, const ScanEntry&) = default;
};

// Something the scan did not sync, and why. Ignored paths and the agent's temp
// files are skipped silently; these are the ones a user should hear about.
struct SkippedEntry {
    std::string path;    // relative; may not be valid UTF-8 (then escaped)
    std::string reason;  // "symlink", "special file", "name is not valid UTF-8", ...
};

struct ScanOptions {
    std::filesystem::path root;
    std::filesystem::path state_dir;  // skipped if inside root; empty = none
    const IgnoreRules* ignore = nullptr;
};

struct ScanResult {
    std::vector<ScanEntry> files;        // sorted by path
    std::vector<ScanEntry> directories;  // sorted by path
    std::vector<SkippedEntry> skipped;
};

// Walks the whole sync folder without following symlinks. Skips: symlinks and
// special files (reported), `.edgesync-tmp-*` files, the state directory,
// ignored paths (ignored folders are not entered), names that cannot be a
// canonical path (reported). Entries that vanish mid-walk are left out.
// Throws std::system_error if the root itself cannot be read.
[[nodiscard]] ScanResult scan(const ScanOptions& options);

// Remembers which skipped paths were already reported, so that every periodic
// rescan does not repeat the same warning.
class SkipReporter {
  public:
    // The entries not reported before; marks them reported.
    [[nodiscard]] std::vector<SkippedEntry> first_seen(const std::vector<SkippedEntry>& skipped);

  private:
    std::unordered_set<std::string> m_reported;
};

enum class ChangeKind {
    added,     // not in the index (or only as deleted)
    modified,  // content or mode differs from the index
    touched,   // only the mtime differs, content hash equal: refresh the index, no upload
    deleted,   // in the index, gone from disk
};

struct LocalChange {
    ChangeKind kind;
    std::string path;
    ScanEntry entry;     // what is on disk now (empty path for deleted)
    Bytes content_hash;  // of the file on disk; empty for deleted
};

// Hashes a file by its relative path; a seam so tests can count calls.
using FileHasher = std::function<Bytes(const std::string& rel_path)>;
// The default: hash_file(root / rel_path).
[[nodiscard]] FileHasher disk_hasher(std::filesystem::path root);

// Compares a scan with the index. Size+mtime+mode equal to the index means
// unchanged, without reading the file; otherwise the file is hashed to tell a
// real edit from a touch. Index entries whose paths were not scanned count as
// deleted, unless they are now ignored (`options.ignore`) or were skipped
// (e.g. became a symlink): ignoring a file must never delete it elsewhere.
// A file that vanishes while being hashed is left for the next scan. Changes
// are relative to what the index records: an entry already `dirty` that did
// not move again is not repeated (pending pushes are the caller's list).
[[nodiscard]] std::vector<LocalChange> diff_with_index(const ScanResult& scan,
                                                       const std::vector<IndexEntry>& index,
                                                       const IgnoreRules* ignore,
                                                       const FileHasher& hasher);

}  // namespace edgesync::agent
