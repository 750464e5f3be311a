#include "agent/watcher.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <system_error>

#include "agent/file_writer.hpp"
#include "agent/sync_path.hpp"

namespace edgesync::agent {

namespace {

constexpr std::uint32_t k_mask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                 IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF |
                                 IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;

std::string join(const std::string& dir, std::string_view name) {
    return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

bool is_under(std::string_view path, std::string_view dir) {
    return path == dir ||
           (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
}

}  // namespace

Watcher::Watcher(std::filesystem::path root, WatcherOptions options)
    : m_root(std::move(root)), m_options(std::move(options)) {
    m_inotify.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!m_inotify.valid())
        throw std::system_error(errno, std::generic_category(), "inotify_init1");
    m_stop.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!m_stop.valid()) throw std::system_error(errno, std::generic_category(), "eventfd");
    if (!m_options.state_dir.empty()) {
        std::error_code ec;
        const auto root_c = std::filesystem::weakly_canonical(m_root, ec);
        const auto state_c = std::filesystem::weakly_canonical(m_options.state_dir, ec);
        const auto rel = state_c.lexically_relative(root_c).generic_string();
        if (!ec && !rel.empty() && rel != "." && !rel.starts_with("..")) m_state_rel = rel;
    }
    add_tree("", false);
    if (m_wd_of.find("") == m_wd_of.end())
        throw std::system_error(errno, std::generic_category(), "watch " + m_root.string());
}

std::filesystem::path Watcher::full(const std::string& rel) const {
    return rel.empty() ? m_root : m_root / rel;
}

bool Watcher::skipped(std::string_view rel, bool is_dir) const {
    // Names the scanner would not sync either (not UTF-8, ...): it reports them.
    if (!is_canonical_path(rel) || is_temp_file_name(base_name(rel))) return true;
    if (m_state_rel && is_under(rel, *m_state_rel)) return true;
    return m_options.skip && m_options.skip(rel, is_dir);
}

void Watcher::touch() {
    const auto now = Clock::now();
    if (m_pending.empty() && !m_rescan) m_first_event = now;
    m_last_event = now;
}

void Watcher::note(std::string rel) {
    touch();
    m_pending.insert(std::move(rel));
}

void Watcher::request_rescan() {
    touch();
    m_rescan = true;
}

void Watcher::add_tree(const std::string& rel, bool report) {
    const int wd = ::inotify_add_watch(m_inotify.get(), full(rel).c_str(), k_mask);
    if (wd < 0) {
        // ENOSPC: out of watches (fs.inotify.max_user_watches); changes below
        // here are invisible until a rescan. ENOENT/ENOTDIR: gone or replaced.
        if (errno == ENOSPC || errno == ENOMEM) request_rescan();
        return;
    }
    if (const auto old = m_path_of.find(wd); old != m_path_of.end() && old->second != rel)
        m_wd_of.erase(old->second);  // same folder seen under a new name (moved)
    m_path_of[wd] = rel;
    m_wd_of[rel] = wd;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(full(rel), ec), end; !ec && it != end;
         it.increment(ec)) {
        const auto name = it->path().filename().string();
        const auto child = join(rel, name);
        std::error_code type_ec;
        const bool is_dir = it->is_directory(type_ec) && !it->is_symlink(type_ec);
        if (skipped(child, is_dir)) continue;
        if (report) note(child);
        if (is_dir) add_tree(child, report);
    }
}

void Watcher::remove_tree(const std::string& rel) {
    for (auto it = m_wd_of.lower_bound(rel); it != m_wd_of.end() && is_under(it->first, rel);) {
        ::inotify_rm_watch(m_inotify.get(), it->second);
        m_path_of.erase(it->second);
        it = m_wd_of.erase(it);
    }
}

void Watcher::read_events() {
    alignas(inotify_event) char buffer[64 * 1024];
    while (true) {
        const auto n = ::read(m_inotify.get(), buffer, sizeof buffer);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            return;  // EAGAIN: drained
        }
        for (std::size_t off = 0; off < static_cast<std::size_t>(n);) {
            inotify_event ev{};
            std::memcpy(&ev, buffer + off, sizeof ev);
            const std::string_view name =
                ev.len > 0 ? std::string_view(buffer + off + sizeof ev) : std::string_view{};
            off += sizeof ev + ev.len;
            if ((ev.mask & IN_Q_OVERFLOW) != 0) {
                request_rescan();
                continue;
            }
            const auto dir = m_path_of.find(ev.wd);
            if (dir == m_path_of.end()) continue;  // watch already removed
            const std::string dir_rel = dir->second;
            if ((ev.mask & IN_IGNORED) != 0) {
                m_wd_of.erase(dir_rel);
                m_path_of.erase(dir);
                if (dir_rel.empty()) request_rescan();  // the root itself is gone
                continue;
            }
            if (name.empty()) {
                // Events on a watched folder itself. The parent reports the
                // folder's own deletion or move; only the root has no parent.
                if (dir_rel.empty() && (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) != 0)
                    request_rescan();
                continue;
            }
            const auto rel = join(dir_rel, name);
            const bool is_dir = (ev.mask & IN_ISDIR) != 0;
            if (skipped(rel, is_dir)) continue;
            if (is_dir && (ev.mask & (IN_MOVED_FROM | IN_DELETE)) != 0) remove_tree(rel);
            note(rel);
            if (is_dir && (ev.mask & (IN_CREATE | IN_MOVED_TO)) != 0) add_tree(rel, true);
        }
    }
}

std::optional<WatchBatch> Watcher::wait(std::chrono::milliseconds timeout) {
    const auto give_up = Clock::now() + timeout;
    while (!m_stopped) {
        const bool have = !m_pending.empty() || m_rescan;
        const auto now = Clock::now();
        auto until = give_up;
        if (have) {
            until =
                std::min(m_last_event + m_options.debounce, m_first_event + m_options.max_delay);
            if (now >= until) {
                WatchBatch batch{{m_pending.begin(), m_pending.end()}, m_rescan};
                m_pending.clear();
                m_rescan = false;
                return batch;
            }
        } else if (now >= give_up) {
            return std::nullopt;
        }
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
        pollfd fds[2] = {{m_inotify.get(), POLLIN, 0}, {m_stop.get(), POLLIN, 0}};
        const int rc = ::poll(fds, 2, static_cast<int>(std::clamp<long long>(ms, 0, 60'000)));
        if (rc < 0 && errno != EINTR)
            throw std::system_error(errno, std::generic_category(), "poll");
        if (rc > 0 && (fds[1].revents & POLLIN) != 0) m_stopped = true;
        if (rc > 0 && (fds[0].revents & POLLIN) != 0) read_events();
    }
    return std::nullopt;
}

void Watcher::stop() noexcept {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(m_stop.get(), &one, sizeof one);
}

}  // namespace edgesync::agent
