#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>

#include "agent/scanner.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::agent {

// A file's bytes together with the metadata they belong to, for upload.
struct FileSnapshot {
    ScanEntry entry;  // size, mtime, mode as of the read
    Bytes content;
    Bytes content_hash;
};

struct ReadError {
    enum class Kind {
        gone,         // no longer there (or a folder on the way is gone)
        not_regular,  // a symlink, folder or special file now
        changing,     // size or mtime moved while it was read: try again later
        too_large,    // over max_bytes (the server's blob limit)
        io,           // EACCES, EIO, ...
    };
    Kind kind;
    std::string message;
};

// Reads root/rel_path whole, without following symlinks anywhere on the path,
// and checks that the file did not change during the read (fstat before and
// after), so a half-written file is never uploaded as if it were complete.
[[nodiscard]] std::expected<FileSnapshot, ReadError> read_file_snapshot(
    const std::filesystem::path& root, std::string_view rel_path, std::uint64_t max_bytes);

}  // namespace edgesync::agent
