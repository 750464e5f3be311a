#include "agent/staged_writes.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <stdexcept>
#include <system_error>

#include "agent/file_writer.hpp"
#include "agent/safe_open.hpp"
#include "agent/sync_path.hpp"

namespace edgesync::agent {

namespace {

// What a destination looked like: absent, or this inode with this content stamp.
struct DestStamp {
    bool exists = false;
    ino_t ino = 0;
    off_t size = 0;
    timespec mtime{};
    timespec ctime{};

    bool operator==(const DestStamp& o) const noexcept {
        if (exists != o.exists) return false;
        if (!exists) return true;
        return ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
               mtime.tv_nsec == o.mtime.tv_nsec && ctime.tv_sec == o.ctime.tv_sec &&
               ctime.tv_nsec == o.ctime.tv_nsec;
    }
};

DestStamp stamp_of(int dir_fd, const std::string& name) {
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return {};
    return {true, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
}

}  // namespace

struct StagedWrites::Item {
    std::shared_ptr<UniqueFd> dir;
    std::string temp;  // temp file name in dir; empty once renamed or removed
    std::string name;  // destination name in dir
    DestStamp before;  // the destination when staged
};

StagedWrites::StagedWrites(std::filesystem::path root) : m_root(std::move(root)) {}

StagedWrites::~StagedWrites() {
    for (const auto& item : m_items)
        if (item && !item->temp.empty()) ::unlinkat(item->dir->get(), item->temp.c_str(), 0);
}

std::shared_ptr<UniqueFd> StagedWrites::folder(std::string_view rel_path) {
    const std::string parent(parent_path(rel_path));
    {
        std::lock_guard lock(m_mutex);
        if (const auto it = m_folders.find(parent); it != m_folders.end()) return it->second;
    }
    auto fd = std::make_shared<UniqueFd>(open_parent_dir(m_root, rel_path, true));
    std::lock_guard lock(m_mutex);
    return m_folders.try_emplace(parent, std::move(fd)).first->second;
}

StagedWrites::Staged StagedWrites::stage(std::string_view rel_path, crypto::ByteView content,
                                         std::uint32_t mode, std::int64_t mtime_ns) {
    if (!is_canonical_path(rel_path))
        throw std::invalid_argument("staged_writes: path is not canonical");
    auto item = std::make_unique<Item>();
    item->dir = folder(rel_path);
    item->name = std::string(base_name(rel_path));
    item->before = stamp_of(item->dir->get(), item->name);
    auto temp = write_temp_file(item->dir->get(), item->name, content, mode, mtime_ns);
    item->temp = std::move(temp.name);
    Staged out;
    if (::fstat(temp.fd.get(), &out.st) != 0) {
        const int err = errno;
        ::unlinkat(item->dir->get(), item->temp.c_str(), 0);
        throw std::system_error(err, std::generic_category(), "stat temp file");
    }
    std::lock_guard lock(m_mutex);
    out.id = m_items.size();
    m_items.push_back(std::move(item));
    return out;
}

std::vector<bool> StagedWrites::commit() {
    std::vector<bool> done(m_items.size(), false);
    if (m_items.empty()) return done;
    // One flush for every temp file's data and inode (instead of one journal
    // commit per file): from here on each temp file is complete on disk.
    if (::syncfs(m_items.front()->dir->get()) != 0)
        throw std::system_error(errno, std::generic_category(), "syncfs");
    std::set<int> touched;
    for (std::size_t i = 0; i < m_items.size(); ++i) {
        auto& item = *m_items[i];
        const int dir = item.dir->get();
        // Changed here since it was staged (the caller's conflict check saw
        // the old state): leave it, the caller retries and sees the change.
        if (!(stamp_of(dir, item.name) == item.before)) {
            ::unlinkat(dir, item.temp.c_str(), 0);
            item.temp.clear();
            continue;
        }
        if (::renameat(dir, item.temp.c_str(), dir, item.name.c_str()) != 0) {
            spdlog::warn("cannot rename {} into place: {}", item.name, std::strerror(errno));
            ::unlinkat(dir, item.temp.c_str(), 0);
            item.temp.clear();
            continue;
        }
        item.temp.clear();
        done[i] = true;
        touched.insert(dir);
    }
    // The renames durable: each folder once.
    for (const int dir : touched)
        if (::fsync(dir) != 0) spdlog::warn("fsync of a folder failed: {}", std::strerror(errno));
    return done;
}

}  // namespace edgesync::agent
