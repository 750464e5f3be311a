#include "agent/file_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "agent/content_hash.hpp"
#include "agent/safe_open.hpp"
#include "agent/sync_path.hpp"

namespace edgesync::agent {

namespace {

std::unexpected<ReadError> error(ReadError::Kind kind, std::string message) {
    return std::unexpected(ReadError{kind, std::move(message)});
}

std::int64_t mtime_ns_of(const struct stat& st) {
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace

std::expected<FileSnapshot, ReadError> read_file_snapshot(const std::filesystem::path& root,
                                                          std::string_view rel_path,
                                                          std::uint64_t max_bytes) {
    if (!is_canonical_path(rel_path)) return error(ReadError::Kind::io, "path is not canonical");
    UniqueFd dir;
    try {
        dir = open_parent_dir(root, rel_path, false);
    } catch (const std::system_error& e) {
        return error(e.code() == std::errc::not_a_directory ||
                             e.code() == std::errc::too_many_symbolic_link_levels
                         ? ReadError::Kind::not_regular
                         : ReadError::Kind::io,
                     e.what());
    }
    if (!dir.valid()) return error(ReadError::Kind::gone, "folder is gone");
    const std::string name(base_name(rel_path));
    UniqueFd file(
        ::openat(dir.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!file.valid()) {
        if (errno == ENOENT) return error(ReadError::Kind::gone, "file is gone");
        if (errno == ELOOP) return error(ReadError::Kind::not_regular, "is a symlink");
        return error(ReadError::Kind::io, std::strerror(errno));
    }
    struct stat before {};
    if (::fstat(file.get(), &before) != 0) return error(ReadError::Kind::io, std::strerror(errno));
    if (!S_ISREG(before.st_mode)) return error(ReadError::Kind::not_regular, "not a regular file");
    const auto size = static_cast<std::uint64_t>(before.st_size);
    if (size > max_bytes)
        return error(ReadError::Kind::too_large,
                     std::to_string(size) + " bytes, the limit is " + std::to_string(max_bytes));

    FileSnapshot out;
    out.content.resize(size);
    std::size_t done = 0;
    while (true) {
        // Reads one byte past the expected size to notice a file that grew.
        std::uint8_t extra = 0;
        const bool at_end = done == out.content.size();
        const auto n =
            at_end ? ::read(file.get(), &extra, 1)
                   : ::read(file.get(), out.content.data() + done, out.content.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return error(ReadError::Kind::io, std::strerror(errno));
        }
        if (at_end && n > 0) return error(ReadError::Kind::changing, "file grew while being read");
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    struct stat after {};
    if (::fstat(file.get(), &after) != 0) return error(ReadError::Kind::io, std::strerror(errno));
    if (done != size || after.st_size != before.st_size ||
        mtime_ns_of(after) != mtime_ns_of(before))
        return error(ReadError::Kind::changing, "file changed while being read");

    out.entry = {std::string(rel_path), EntryType::file, size, mtime_ns_of(after),
                 static_cast<std::uint32_t>(after.st_mode) & k_synced_mode_bits};
    out.content_hash = content_hash(out.content);
    return out;
}

}  // namespace edgesync::agent
