#include "agent/file_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <ctime>
#include <stdexcept>
#include <system_error>

#include "agent/safe_open.hpp"
#include "agent/sync_path.hpp"
#include "agent/unique_fd.hpp"
#include "shared/crypto/hash.hpp"

namespace edgesync::agent {

namespace {

[[noreturn]] void throw_errno(int err, const std::string& what) {
    throw std::system_error(err, std::generic_category(), what);
}

void check_path(std::string_view rel_path) {
    if (!is_canonical_path(rel_path))
        throw std::invalid_argument("file_writer: path is not canonical");
}

std::string random_temp_name() {
    return std::string(k_temp_prefix) + hex_encode(crypto::random_bytes(8));
}

void write_all(int fd, crypto::ByteView content) {
    std::size_t done = 0;
    while (done < content.size()) {
        const auto n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno(errno, "write");
        }
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace

WrittenFile written_file_of(const struct stat& st) noexcept {
    WrittenFile written;
    written.size = static_cast<std::uint64_t>(st.st_size);
    written.mtime_ns =
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    written.mode = st.st_mode & k_synced_mode_bits;
    return written;
}

bool is_temp_file_name(std::string_view name) noexcept { return name.starts_with(k_temp_prefix); }

TempFile write_temp_file(int dir_fd, std::string_view for_name, crypto::ByteView content,
                         std::uint32_t mode, std::int64_t mtime_ns) {
    TempFile t;
    t.name = random_temp_name();
    t.fd = UniqueFd(::openat(dir_fd, t.name.c_str(),
                             O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!t.fd.valid()) throw_errno(errno, "create temp file for " + std::string(for_name));
    try {
        write_all(t.fd.get(), content);
        // Mode and mtime go on the temp file, before the rename: the file then
        // appears complete, with its final metadata, in one atomic step.
        if (::fchmod(t.fd.get(), static_cast<mode_t>(mode & k_synced_mode_bits)) != 0)
            throw_errno(errno, "chmod");
        // Floor division, so mtimes before 1970 get a tv_nsec in [0, 1e9).
        auto sec = mtime_ns / 1'000'000'000;
        auto nsec = mtime_ns % 1'000'000'000;
        if (nsec < 0) {
            nsec += 1'000'000'000;
            sec -= 1;
        }
        const timespec fixed[2] = {{0, UTIME_OMIT},
                                   {static_cast<time_t>(sec), static_cast<long>(nsec)}};
        if (::futimens(t.fd.get(), fixed) != 0) throw_errno(errno, "set mtime");
    } catch (...) {
        ::unlinkat(dir_fd, t.name.c_str(), 0);
        throw;
    }
    return t;
}

WrittenFile write_file_atomically(const std::filesystem::path& root, std::string_view rel_path,
                                  crypto::ByteView content, std::uint32_t mode,
                                  std::int64_t mtime_ns) {
    check_path(rel_path);
    const UniqueFd dir = open_parent_dir(root, rel_path, true);
    const std::string name(base_name(rel_path));
    auto file = write_temp_file(dir.get(), name, content, mode, mtime_ns);
    WrittenFile written;
    try {
        if (::fsync(file.fd.get()) != 0) throw_errno(errno, "fsync");
        struct stat st {};
        if (::fstat(file.fd.get(), &st) != 0) throw_errno(errno, "fstat");
        written = written_file_of(st);
        file.fd.reset();
        if (::renameat(dir.get(), file.name.c_str(), dir.get(), name.c_str()) != 0)
            throw_errno(errno, "rename into place " + name);
    } catch (...) {
        ::unlinkat(dir.get(), file.name.c_str(), 0);
        throw;
    }
    if (::fsync(dir.get()) != 0) throw_errno(errno, "fsync folder");
    return written;
}

bool remove_file(const std::filesystem::path& root, std::string_view rel_path) {
    check_path(rel_path);
    const UniqueFd dir = open_parent_dir(root, rel_path, false);
    if (!dir.valid()) return false;
    const std::string name(base_name(rel_path));
    if (::unlinkat(dir.get(), name.c_str(), 0) != 0) {
        if (errno == ENOENT) return false;
        throw_errno(errno, "remove " + name);
    }
    if (::fsync(dir.get()) != 0) throw_errno(errno, "fsync folder");
    return true;
}

std::size_t remove_stale_temp_files(const std::filesystem::path& root,
                                    const std::filesystem::path& skip_dir) {
    namespace fs = std::filesystem;
    std::size_t removed = 0;
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const auto status = it->symlink_status(ec);
        if (ec) break;
        if (fs::is_directory(status)) {
            if (!skip_dir.empty() && fs::equivalent(it->path(), skip_dir, ec))
                it.disable_recursion_pending();
            ec.clear();
            continue;
        }
        if (fs::is_regular_file(status) && is_temp_file_name(it->path().filename().string())) {
            if (fs::remove(it->path(), ec)) ++removed;
            ec.clear();
        }
    }
    if (ec) throw std::system_error(ec, "scan for stale temp files in " + root.string());
    return removed;
}

std::string conflict_copy_name(std::string_view rel_path,
                               std::chrono::system_clock::time_point when,
                               std::string_view device_id) {
    const auto dir = parent_path(rel_path);
    const auto name = base_name(rel_path);
    // The extension is the last ".x" that is neither the whole name (".bashrc")
    // nor empty ("file.").
    const auto dot = name.rfind('.');
    const bool has_ext = dot != std::string_view::npos && dot > 0 && dot + 1 < name.size();
    const auto stem = has_ext ? name.substr(0, dot) : name;
    const auto ext = has_ext ? name.substr(dot) : std::string_view{};

    std::string device;
    for (const char c : device_id) {
        if (device.size() == 7) break;
        if (std::isalnum(static_cast<unsigned char>(c)) != 0) device.push_back(c);
    }
    if (device.empty()) device = "unknown";

    const std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm utc{};
    ::gmtime_r(&t, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &utc);

    std::string suffix = std::string(".sync-conflict-") + stamp + "-" + device + std::string(ext);
    // A name may not exceed k_max_name_bytes: shorten the stem (at a UTF-8
    // character boundary) rather than produce a copy that cannot be written.
    std::string_view kept_stem = stem;
    if (kept_stem.size() + suffix.size() > k_max_name_bytes) {
        if (suffix.size() >= k_max_name_bytes) {  // absurdly long extension: drop it
            suffix = std::string(".sync-conflict-") + stamp + "-" + device;
            kept_stem = name;
        }
        std::size_t keep = std::min(kept_stem.size(), k_max_name_bytes - suffix.size());
        while (keep > 0 && keep < kept_stem.size() &&
               (static_cast<unsigned char>(kept_stem[keep]) & 0xC0) == 0x80)
            --keep;
        kept_stem = kept_stem.substr(0, keep);
    }
    std::string out;
    if (!dir.empty()) out.append(dir).push_back('/');
    out.append(kept_stem).append(suffix);
    return out;
}

bool is_conflict_copy_name(std::string_view rel_path) noexcept {
    return base_name(rel_path).find(".sync-conflict-") != std::string_view::npos;
}

}  // namespace edgesync::agent
