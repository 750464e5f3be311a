// The pull half of SyncEngine: the changes feed applied to the folder. The
// file work of one page (decrypt, conflict copy, atomic write with its fsyncs)
// runs on a few threads; the index is only touched on the owner thread, in
// feed order, in one transaction per page.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <exception>
#include <system_error>
#include <thread>

#include "agent/content_hash.hpp"
#include "agent/file_reader.hpp"
#include "agent/file_writer.hpp"
#include "agent/sync_engine.hpp"
#include "agent/sync_fs.hpp"
#include "agent/sync_path.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::agent {

namespace {

constexpr std::size_t k_default_page_items = 500;
// From this many file writes in a page on, their durability is paid once
// (StagedWrites) instead of two fsyncs per file.
constexpr std::size_t k_staged_min_writes = 8;

// An index mtime no file can have: the entry's size/mtime never match the
// disk, so the next scan hashes the file (and finds the local edit).
constexpr std::int64_t k_unknown_mtime = INT64_MIN;

}  // namespace

struct SyncEngine::Applied {
    bool ok = true;  // false: may heal later (I/O): holds the cursor before it
    std::optional<IndexEntry> upsert;
    std::optional<std::string> remove;  // the index entry to drop
    bool repush = false;                // push `path` again (a local edit beat a remote delete,
                                        // or sits on top of an adopted own push)
    std::string path;                   // the state's path when known: its pending rows go
    bool conflict = false;              // a conflict copy was made
    bool ignore_file = false;           // .edgesyncignore was written
    std::uint64_t bytes_down = 0;
    std::string error;
    std::optional<std::size_t> staged;  // its StagedWrites id, until committed
};

bool SyncEngine::pull() {
    bool applied = false;
    const std::size_t limit = m_limits.max_page_items == 0
                                  ? k_default_page_items
                                  : std::min(m_limits.max_page_items, k_default_page_items);
    for (;;) {
        const std::int64_t after = m_index.last_applied_seq();
        const auto page = m_states.changes(after, limit);
        m_status.connected = true;

        std::vector<std::pair<const RemoteState*, std::optional<IndexEntry>>> todo;
        for (const auto& remote : page.states) {
            auto entry = m_index.find_by_state_key(remote.key);
            if (entry && entry->server_version >= remote.version) continue;  // ours, or seen
            todo.emplace_back(&remote, std::move(entry));
        }
        m_status.pending_down = todo.size();
        // Decrypt first, record what will be written, then write.
        std::vector<std::optional<std::expected<FileRecord, PayloadError>>> opened(todo.size());
        for_each_parallel(todo.size(), [&](std::size_t i) {
            const auto& r = *todo[i].first;
            if (!r.deleted) opened[i] = m_cipher->open(r.key, r.nonce, r.state);
        });
        std::vector<PendingWrite> writes;
        for (std::size_t i = 0; i < todo.size(); ++i)
            if (const auto& o = opened[i]; o && o->has_value())
                writes.push_back(PendingWrite{(*o)->meta.path, PendingOrigin::pull,
                                              todo[i].first->key, (*o)->meta.content_hash,
                                              todo[i].first->version});
        record_pending(writes);
        std::vector<Applied> results(todo.size());
        std::optional<StagedWrites> staged;
        if (writes.size() >= k_staged_min_writes) staged.emplace(m_config.sync_dir);
        for_each_parallel(todo.size(), [&](std::size_t i) {
            results[i] = apply_remote_files(*todo[i].first, todo[i].second,
                                            opened[i] ? &*opened[i] : nullptr,
                                            staged ? &*staged : nullptr);
        });
        if (staged) {
            const auto placed = staged->commit();
            for (auto& r : results) {
                if (!r.staged || placed.at(*r.staged)) continue;
                r.ok = false;  // changed here meanwhile: applied again (with that change seen) later
                r.upsert.reset();
                r.error = "a file changed while a pulled version was written; retrying";
            }
        }
        fault_point("exit_after_pull_write");

        // A state that cannot be applied now (I/O) holds the cursor before it;
        // the rest of the page is still applied (and skipped when seen again).
        std::optional<std::int64_t> first_failed;
        auto tx = m_index.transaction();
        for (std::size_t i = 0; i < todo.size(); ++i) {
            if (commit_applied(std::move(results[i])))
                applied = true;
            else if (!first_failed)
                first_failed = todo[i].first->seq;
        }
        const std::int64_t done = first_failed ? *first_failed - 1 : std::max(after, page.next);
        if (done > after) m_index.set_last_applied_seq(done);
        tx.commit();
        m_status.pending_down = 0;
        if (first_failed) {
            m_status.last_error = "could not apply every remote change; retrying later";
            return applied;
        }
        if (!page.more || page.states.empty()) break;
        if (stopping()) return applied;
    }
    // Every state after the cursor is applied and indexed: nothing pending.
    clear_pending_pulls();
    return applied;
}

void SyncEngine::record_pending(const std::vector<PendingWrite>& writes) {
    if (writes.empty()) return;
    m_index.add_pending(writes);  // on disk before any of them happens
    for (const auto& w : writes) {
        auto& rows = (w.origin == PendingOrigin::pull ? m_pending_pulls : m_pending_pushes)[w.path];
        std::erase_if(rows, [&](const PendingWrite& r) { return r.content_hash == w.content_hash; });
        rows.push_back(w);
    }
}

void SyncEngine::drop_pending(const std::string& path, PendingOrigin origin, const Bytes* hash) {
    auto& mirror = origin == PendingOrigin::pull ? m_pending_pulls : m_pending_pushes;
    const auto it = mirror.find(path);
    if (it == mirror.end()) return;
    if (hash == nullptr) {
        mirror.erase(it);
    } else {
        const auto erased =
            std::erase_if(it->second, [&](const PendingWrite& r) { return r.content_hash == *hash; });
        if (erased == 0) return;
        if (it->second.empty()) mirror.erase(it);
    }
    m_index.remove_pending(path, origin, hash);
}

bool SyncEngine::is_pending(const std::string& path, PendingOrigin origin,
                            const Bytes& hash) const {
    const auto& mirror = origin == PendingOrigin::pull ? m_pending_pulls : m_pending_pushes;
    const auto it = mirror.find(path);
    return it != mirror.end() && std::ranges::any_of(it->second, [&](const PendingWrite& r) {
               return r.content_hash == hash;
           });
}

void SyncEngine::clear_pending_pulls() {
    if (m_pending_pulls.empty()) return;
    m_pending_pulls.clear();
    m_index.clear_pending(PendingOrigin::pull);
}

const PendingWrite* SyncEngine::pending_pull_by_key(std::string_view key) const {
    for (const auto& [path, rows] : m_pending_pulls)
        for (const auto& p : rows)
            if (p.state_key == key) return &p;
    return nullptr;
}

bool SyncEngine::apply_remote(const RemoteState& remote) {
    auto entry = m_index.find_by_state_key(remote.key);
    if (entry && entry->server_version >= remote.version) return true;
    // Same order as a pull: decrypt, record the write, write, commit.
    std::optional<std::expected<FileRecord, PayloadError>> opened;
    if (!remote.deleted) {
        opened = m_cipher->open(remote.key, remote.nonce, remote.state);
        if (opened->has_value())
            record_pending({PendingWrite{(*opened)->meta.path, PendingOrigin::pull, remote.key,
                                         (*opened)->meta.content_hash, remote.version}});
    }
    auto applied = apply_remote_files(remote, entry, opened ? &*opened : nullptr);
    auto tx = m_index.transaction();
    const bool ok = commit_applied(std::move(applied));
    tx.commit();
    return ok;
}

bool SyncEngine::commit_applied(Applied&& a) {
    m_status.bytes_down += a.bytes_down;
    if (a.conflict) ++m_status.conflicts;
    if (!a.error.empty()) m_status.last_error = a.error;
    if (a.remove) m_index.remove(*a.remove);
    if (a.upsert) m_index.upsert(*a.upsert);
    if (a.repush && !a.path.empty()) m_repush.push_back(a.path);
    if (a.ok && !a.path.empty()) {  // decided: what was pending for the path is settled
        drop_pending(a.path, PendingOrigin::pull);
        drop_pending(a.path, PendingOrigin::push);
    }
    if (a.ignore_file) reload_ignore_rules();
    return a.ok;
}

std::optional<Bytes> SyncEngine::local_edit(const std::string& path,
                                            const std::optional<IndexEntry>& entry) const {
    struct stat st {};
    const auto full = m_config.sync_dir / path;
    if (::lstat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    const bool synced = entry && entry->status == FileStatus::clean;
    if (synced && entry->size == static_cast<std::uint64_t>(st.st_size) &&
        entry->mtime_ns == mtime_ns_of(st) && entry->mode == (st.st_mode & k_synced_mode_bits))
        return std::nullopt;
    Bytes hash;
    try {
        hash = hash_file(full);
    } catch (const std::system_error&) {
        return std::nullopt;  // vanished meanwhile: nothing to keep
    }
    if (synced && hash == entry->content_hash) return std::nullopt;
    // Bytes this agent wrote from the server but did not index (killed in
    // between): a server version, not an edit.
    if (is_pending(path, PendingOrigin::pull, hash)) return std::nullopt;
    return hash;
}

void SyncEngine::adopt_own_push(const RemoteState& remote, const FileMeta& meta,
                                Applied& out) const {
    // The server's version is bytes this device pushed (a pending push: a
    // kill came after the server applied it, before the index recorded it).
    // It becomes the synced base, whatever happened to the file since: never
    // a conflict, and the file is not touched.
    IndexEntry e{meta.path,       remote.key,     meta.size,       k_unknown_mtime, meta.mode,
                 meta.content_hash, remote.version, remote.seq, FileStatus::clean};
    struct stat st {};
    const auto full = m_config.sync_dir / meta.path;
    Bytes hash;
    if (::lstat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        try {
            hash = hash_file(full);
        } catch (const std::system_error&) {
            hash.clear();  // vanished meanwhile
        }
    }
    if (!hash.empty() && hash == meta.content_hash) {
        e.size = static_cast<std::uint64_t>(st.st_size);
        e.mtime_ns = mtime_ns_of(st);  // the mode stays the pushed one: a chmod since shows
    } else {
        // Edited or deleted here since: the entry's unknown mtime makes the
        // scan look at the file, which then goes up on top of this version.
        out.repush = true;
    }
    out.upsert = std::move(e);
    spdlog::info("{}: the server has this device's own push (version {}), adopted", meta.path,
                 remote.version);
}

bool SyncEngine::has_conflict_copy_of(const std::string& path, const Bytes& hash) const {
    const std::string sample = conflict_copy_name(path, std::chrono::system_clock::now(), "x");
    const auto name = base_name(sample);
    constexpr std::string_view k_marker = ".sync-conflict-";
    const auto prefix = name.substr(0, name.find(k_marker) + k_marker.size());
    std::error_code ec;
    const auto dir = m_config.sync_dir / std::string(parent_path(path));
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec)) {
        const auto file = it->path().filename().string();
        if (!file.starts_with(prefix) || !it->is_regular_file(ec) || it->is_symlink(ec)) continue;
        try {
            if (hash_file(it->path()) == hash) return true;
        } catch (const std::system_error&) {
            // unreadable or gone: not a copy we can count on
        }
    }
    return false;
}

bool SyncEngine::keep_conflict_copy(const std::string& path) const {
    const auto snap = read_file_snapshot(m_config.sync_dir, path, UINT64_MAX);
    if (!snap) {
        if (snap.error().kind == ReadError::Kind::gone) return true;
        spdlog::warn("conflict on {}: cannot read the local version ({}); retrying later", path,
                     snap.error().message);
        return false;
    }
    // Already kept (a kill came after the copy was written, before the
    // remote version replaced the file): one copy of the same bytes is enough.
    if (has_conflict_copy_of(path, snap->content_hash)) {
        spdlog::info("conflict on {}: this device's version is already kept as a copy", path);
        return true;
    }
    // Names go to the second: a second conflict on this file within the same
    // second (or a file already bearing the name) must not be overwritten, as
    // it may hold the only copy of another version. The next free second is
    // taken instead.
    auto when = std::chrono::system_clock::now();
    auto copy = conflict_copy_name(path, when, m_config.device_id);
    struct stat st {};
    for (int tries = 0; tries < 100'000 && ::lstat((m_config.sync_dir / copy).c_str(), &st) == 0;
         ++tries) {
        when += std::chrono::seconds(1);
        copy = conflict_copy_name(path, when, m_config.device_id);
    }
    write_file_atomically(m_config.sync_dir, copy, snap->content, snap->entry.mode,
                          snap->entry.mtime_ns);
    spdlog::warn("conflict on {}: the other version keeps the name, this device's is kept as {}",
                 path, copy);
    return true;
}

SyncEngine::Applied SyncEngine::apply_remote_files(
    const RemoteState& remote, const std::optional<IndexEntry>& entry,
    const std::expected<FileRecord, PayloadError>* opened, StagedWrites* staged) const {
    Applied out;
    try {
        if (remote.deleted) {
            if (!entry) {
                // Never indexed here. Bytes a killed pull wrote from this key
                // are still server content: the delete applies to them
                // (else the scan would push them back as a new file).
                const PendingWrite* written = pending_pull_by_key(remote.key);
                if (written == nullptr) return out;
                out.path = written->path;
                if (local_edit(written->path, std::nullopt)) {
                    out.repush = true;  // edited since: the edit wins, pushed as new
                    return out;
                }
                remove_file(m_config.sync_dir, written->path);
                spdlog::debug("pulled delete of {} (written before a crash)", written->path);
                return out;
            }
            out.path = entry->path;
            out.remove = entry->path;
            if (local_edit(entry->path, entry)) {
                // A delete racing a local edit: the edit wins. Forgetting the
                // entry makes the file new again (a tombstone counts as absent).
                spdlog::info("{} was deleted elsewhere but edited here: keeping the edit",
                             entry->path);
                out.repush = true;
                return out;
            }
            remove_file(m_config.sync_dir, entry->path);
            spdlog::debug("pulled delete of {}", entry->path);
            return out;
        }
        out.bytes_down = remote.state.size();
        const auto record =
            opened ? *opened : m_cipher->open(remote.key, remote.nonce, remote.state);
        if (!record) {
            spdlog::warn("skipping remote state {} (version {}): {}", remote.key, remote.version,
                         record.error().message);
            out.error = "a remote state could not be opened: " + record.error().message;
            return out;  // retrying cannot help
        }
        const std::string& path = record->meta.path;
        out.path = path;
        if (m_ignore.is_ignored(path, false)) return out;
        if (is_pending(path, PendingOrigin::push, record->meta.content_hash)) {
            adopt_own_push(remote, record->meta, out);
            return out;
        }
        // Identical content is never a conflict: only different bytes are kept.
        if (const auto local = local_edit(path, entry);
            local && *local != record->meta.content_hash) {
            if (!keep_conflict_copy(path)) {
                out.ok = false;
                return out;
            }
            out.conflict = true;
            fault_point("exit_after_conflict_copy");
        }
        WrittenFile written;
        if (staged) {
            const auto done = staged->stage(path, record->content, record->meta.mode,
                                            record->meta.mtime_ns);
            written = written_file_of(done.st);  // the rename keeps size, mtime and mode
            out.staged = done.id;
        } else {
            written = write_file_atomically(m_config.sync_dir, path, record->content,
                                            record->meta.mode, record->meta.mtime_ns);
        }
        out.upsert = IndexEntry{path,
                                remote.key,
                                written.size,
                                written.mtime_ns,
                                written.mode,
                                record->meta.content_hash,
                                remote.version,
                                remote.seq,
                                FileStatus::clean};
        out.ignore_file = path == k_ignore_file;
        spdlog::debug("pulled {} (version {})", path, remote.version);
    } catch (const std::system_error& e) {
        spdlog::warn("cannot apply remote state {}: {}", remote.key, e.what());
        out.ok = false;
        out.error = e.what();
    }
    return out;
}

}  // namespace edgesync::agent
