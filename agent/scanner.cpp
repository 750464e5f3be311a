#include "agent/scanner.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <system_error>
#include <unordered_map>

#include "agent/content_hash.hpp"
#include "agent/file_writer.hpp"
#include "agent/sync_path.hpp"
#include "agent/unique_fd.hpp"

namespace edgesync::agent {

namespace {

// A name as it can be printed: bytes outside printable ASCII as \xNN.
std::string printable(std::string_view raw) {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    for (const char ch : raw) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7F) {
            out.push_back(ch);
        } else {
            out.append("\\x").push_back(k_hex[c >> 4]);
            out.push_back(k_hex[c & 0xF]);
        }
    }
    return out;
}

std::int64_t mtime_ns_of(const struct stat& st) {
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

class Walker {
  public:
    Walker(const ScanOptions& options, ScanResult& out) : m_options(options), m_out(out) {
        struct stat st {};
        if (!options.state_dir.empty() && ::stat(options.state_dir.c_str(), &st) == 0) {
            m_state_dev = st.st_dev;
            m_state_ino = st.st_ino;
            m_has_state_dir = true;
        }
    }

    void walk(int dir_fd, const std::string& prefix) {
        DIR* dir = ::fdopendir(dir_fd);  // takes ownership of dir_fd
        if (dir == nullptr) {
            const int err = errno;
            ::close(dir_fd);
            throw std::system_error(err, std::generic_category(), "read folder " + prefix);
        }
        std::unique_ptr<DIR, int (*)(DIR*)> guard(dir, ::closedir);
        while (const dirent* d = ::readdir(dir)) {
            const std::string_view name = d->d_name;
            if (name == "." || name == "..") continue;
            visit(::dirfd(dir), name,
                  prefix.empty() ? std::string(name) : prefix + "/" + std::string(name));
        }
    }

  private:
    void skip(const std::string& rel, std::string reason) {
        m_out.skipped.push_back({printable(rel), std::move(reason)});
    }

    void visit(int dir_fd, std::string_view name, const std::string& rel) {
        const std::string name_z(name);
        struct stat st {};
        if (::fstatat(dir_fd, name_z.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;  // vanished
        if (!is_canonical_path(rel)) {
            skip(rel,
                 is_valid_utf8(rel) ? "name too long or not portable" : "name is not valid UTF-8");
            return;
        }
        const auto mode = static_cast<std::uint32_t>(st.st_mode) & k_synced_mode_bits;
        if (S_ISLNK(st.st_mode)) {
            skip(rel, "symlink");
        } else if (S_ISDIR(st.st_mode)) {
            if (m_has_state_dir && st.st_dev == m_state_dev && st.st_ino == m_state_ino) return;
            if (m_options.ignore != nullptr && m_options.ignore->matches(rel, true)) return;
            const int child =
                ::openat(dir_fd, name_z.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child < 0) {
                if (errno != ENOENT)
                    skip(rel, std::string("cannot open folder: ") + std::strerror(errno));
                return;
            }
            m_out.directories.push_back({rel, EntryType::directory, 0, mtime_ns_of(st), mode});
            walk(child, rel);
        } else if (S_ISREG(st.st_mode)) {
            if (is_temp_file_name(name)) return;
            if (m_options.ignore != nullptr && m_options.ignore->matches(rel, false)) return;
            m_out.files.push_back({rel, EntryType::file, static_cast<std::uint64_t>(st.st_size),
                                   mtime_ns_of(st), mode});
        } else {
            skip(rel, "special file (device, FIFO or socket)");
        }
    }

    const ScanOptions& m_options;
    ScanResult& m_out;
    bool m_has_state_dir = false;
    dev_t m_state_dev = 0;
    ino_t m_state_ino = 0;
};

bool by_path(const ScanEntry& a, const ScanEntry& b) { return a.path < b.path; }

}  // namespace

ScanResult scan(const ScanOptions& options) {
    ScanResult out;
    const int root = ::open(options.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        throw std::system_error(errno, std::generic_category(),
                                "open sync folder " + options.root.string());
    Walker(options, out).walk(root, "");
    std::sort(out.files.begin(), out.files.end(), by_path);
    std::sort(out.directories.begin(), out.directories.end(), by_path);
    return out;
}

std::vector<SkippedEntry> SkipReporter::first_seen(const std::vector<SkippedEntry>& skipped) {
    std::vector<SkippedEntry> fresh;
    for (const auto& s : skipped)
        if (m_reported.insert(s.path + '\0' + s.reason).second) fresh.push_back(s);
    return fresh;
}

FileHasher disk_hasher(std::filesystem::path root) {
    return [root = std::move(root)](const std::string& rel_path) {
        return hash_file(root / rel_path);
    };
}

std::vector<LocalChange> diff_with_index(const ScanResult& scan,
                                         const std::vector<IndexEntry>& index,
                                         const IgnoreRules* ignore, const FileHasher& hasher) {
    std::unordered_map<std::string_view, const IndexEntry*> known;
    known.reserve(index.size());
    for (const auto& e : index) known.emplace(e.path, &e);

    std::vector<LocalChange> changes;
    auto hash_or_skip = [&](const ScanEntry& f, ChangeKind kind, const IndexEntry* old) {
        Bytes hash;
        try {
            hash = hasher(f.path);
        } catch (const std::system_error&) {
            return;  // vanished or unreadable while hashing: the next scan sees it again
        }
        if (old != nullptr && kind == ChangeKind::modified && hash == old->content_hash &&
            f.size == old->size && f.mode == old->mode)
            kind = ChangeKind::touched;
        changes.push_back({kind, f.path, f, std::move(hash)});
    };

    for (const auto& f : scan.files) {
        const auto it = known.find(f.path);
        const IndexEntry* old = it == known.end() ? nullptr : it->second;
        if (old == nullptr || old->status == FileStatus::deleted) {
            hash_or_skip(f, ChangeKind::added, nullptr);
        } else if (f.size != old->size || f.mtime_ns != old->mtime_ns || f.mode != old->mode) {
            hash_or_skip(f, ChangeKind::modified, old);
        }
        if (old != nullptr) known.erase(it);
    }

    std::unordered_map<std::string_view, bool> skipped;
    for (const auto& s : scan.skipped) skipped.emplace(s.path, true);
    auto skipped_or_under_skipped = [&](std::string_view path) {
        for (std::string_view p = path; !p.empty(); p = parent_path(p))
            if (skipped.contains(p)) return true;
        return false;
    };
    std::vector<const IndexEntry*> gone;
    for (const auto& [path, e] : known) {
        if (e->status == FileStatus::deleted) continue;
        if (ignore != nullptr && ignore->is_ignored(path, false)) continue;
        if (skipped_or_under_skipped(path)) continue;
        gone.push_back(e);
    }
    std::sort(gone.begin(), gone.end(), [](auto* a, auto* b) { return a->path < b->path; });
    for (const auto* e : gone) changes.push_back({ChangeKind::deleted, e->path, {}, {}});
    return changes;
}

}  // namespace edgesync::agent
