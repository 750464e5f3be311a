#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <sys/stat.h>

#include "agent/unique_fd.hpp"
#include "shared/crypto/byte_view.hpp"

namespace edgesync::agent {

// Every file the agent writes starts life as `.edgesync-tmp-<random>` in the
// folder of its destination. The scanner and watcher never sync such names;
// remove_stale_temp_files() deletes what a crash left behind.
inline constexpr std::string_view k_temp_prefix = ".edgesync-tmp-";

[[nodiscard]] bool is_temp_file_name(std::string_view name) noexcept;

// Writes `content` to root/rel_path so that a crash at any point leaves either
// the old file or the complete new one, never a mix: temp file in the same
// folder, write, fsync, rename over the destination, fsync the folder, then
// mtime and mode applied. Only k_synced_mode_bits of `mode` are applied (never
// setuid/setgid/sticky). Missing parent folders are created (0755 & ~umask).
//
// rel_path must be canonical (sync_path.hpp). Every component is opened with
// O_NOFOLLOW, so a symlink inside the sync folder can never redirect a write
// outside it. Throws std::invalid_argument for a non-canonical path and
// std::system_error for I/O errors (e.g. a parent that is a file, ENOSPC); no
// temp file survives a failure.
//
// Returns the written file's size, mtime and mode as fstat saw them just
// before the rename: what the index should record for these bytes (an lstat
// after the rename could already see a local edit made in between, which
// would then be taken for the synced version).
struct WrittenFile {
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::uint32_t mode = 0;  // k_synced_mode_bits only
};
WrittenFile write_file_atomically(const std::filesystem::path& root, std::string_view rel_path,
                                  crypto::ByteView content, std::uint32_t mode,
                                  std::int64_t mtime_ns);

// A stat of the written file (before its rename) as the index records it.
[[nodiscard]] WrittenFile written_file_of(const struct stat& st) noexcept;

// The first half of write_file_atomically(), for writers that sync many files
// at once (staged_writes.hpp): a new `.edgesync-tmp-*` file in the open folder
// `dir_fd` with `content`, mode and mtime applied, not fsynced. On failure it
// is removed and std::system_error thrown.
struct TempFile {
    std::string name;  // in the folder
    UniqueFd fd;       // open for writing
};
[[nodiscard]] TempFile write_temp_file(int dir_fd, std::string_view for_name,
                                       crypto::ByteView content, std::uint32_t mode,
                                       std::int64_t mtime_ns);

// Removes root/rel_path (a regular file) and fsyncs its folder. Returns false if
// it did not exist. Same path rules and errors as write_file_atomically().
bool remove_file(const std::filesystem::path& root, std::string_view rel_path);

// Deletes every `.edgesync-tmp-*` file under root (recursively; symlinks not
// followed; `skip_dir`, e.g. the state directory, left alone). For startup:
// those are writes a crash interrupted. Returns how many were removed.
std::size_t remove_stale_temp_files(const std::filesystem::path& root,
                                    const std::filesystem::path& skip_dir = {});

// The name the local copy of a conflicting file gets:
//   dir/name.sync-conflict-YYYYMMDD-HHMMSS-<device>.ext
// The last extension is kept so the copy opens like the original; dotfiles
// (".bashrc") and names without one get the suffix at the end. `when` is
// formatted in UTC; <device> is the first 7 letters/digits of `device_id`.
// Pure function.
[[nodiscard]] std::string conflict_copy_name(std::string_view rel_path,
                                             std::chrono::system_clock::time_point when,
                                             std::string_view device_id);

// True if the file name (last component) looks like a conflict copy.
[[nodiscard]] bool is_conflict_copy_name(std::string_view rel_path) noexcept;

}  // namespace edgesync::agent
