// The pull half of SyncEngine: the changes feed applied to the folder. The
// file work of one page (decrypt, conflict copy, atomic write with its fsyncs)
// runs on a few threads; the index is only touched on the owner thread, in
// feed order, in one transaction per page.
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

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
constexpr std::string_view k_meta_pending_writes = "pending_writes";
}  // namespace

namespace {

constexpr std::size_t k_default_page_items = 500;
// From this many file writes in a page on, their durability is paid once
// (StagedWrites) instead of two fsyncs per file.
constexpr std::size_t k_staged_min_writes = 8;

}  // namespace

struct SyncEngine::Applied {
    bool ok = true;  // false: may heal later (I/O): holds the cursor before it
    std::optional<IndexEntry> upsert;
    std::optional<std::string> remove;  // the index entry to drop
    bool repush = false;                // with `remove`: a local edit beat a remote delete
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
        std::map<std::string, std::string> writes;
        for (const auto& o : opened)
            if (o && o->has_value()) writes[(*o)->meta.path] = hex_encode((*o)->meta.content_hash);
        note_pending_writes(writes);
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
    if (!m_pending_writes.empty()) {
        m_pending_writes.clear();
        m_index.set_meta(k_meta_pending_writes, "{}");
    }
    return applied;
}

void SyncEngine::note_pending_writes(const std::map<std::string, std::string>& page) {
    if (m_pending_writes.empty()) {  // left by a run that was killed mid-pull?
        const auto saved = m_index.meta(k_meta_pending_writes);
        const auto j = nlohmann::json::parse(saved.value_or("{}"), nullptr, false);
        if (j.is_object())
            for (const auto& [path, hash] : j.items())
                if (hash.is_string()) m_pending_writes[path] = hash.get<std::string>();
    }
    if (page.empty()) return;
    for (const auto& [path, hash] : page) m_pending_writes[path] = hash;
    m_index.set_meta(k_meta_pending_writes, nlohmann::json(m_pending_writes).dump());
}

bool SyncEngine::apply_remote(const RemoteState& remote) {
    auto entry = m_index.find_by_state_key(remote.key);
    if (entry && entry->server_version >= remote.version) return true;
    return commit_applied(apply_remote_files(remote, entry));
}

bool SyncEngine::commit_applied(Applied&& a) {
    m_status.bytes_down += a.bytes_down;
    if (a.conflict) ++m_status.conflicts;
    if (!a.error.empty()) m_status.last_error = a.error;
    if (a.remove) {
        m_index.remove(*a.remove);
        if (a.repush) m_repush.push_back(*a.remove);
    }
    if (a.upsert) m_index.upsert(*a.upsert);
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
    if (const auto it = m_pending_writes.find(path);
        it != m_pending_writes.end() && it->second == hex_encode(hash))
        return std::nullopt;
    return hash;
}

bool SyncEngine::keep_conflict_copy(const std::string& path) const {
    const auto snap = read_file_snapshot(m_config.sync_dir, path, UINT64_MAX);
    if (!snap) {
        if (snap.error().kind == ReadError::Kind::gone) return true;
        spdlog::warn("conflict on {}: cannot read the local version ({}); retrying later", path,
                     snap.error().message);
        return false;
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
            if (!entry) return out;
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
        if (m_ignore.is_ignored(path, false)) return out;
        if (const auto local = local_edit(path, entry);
            local && *local != record->meta.content_hash) {
            if (!keep_conflict_copy(path)) {
                out.ok = false;
                return out;
            }
            out.conflict = true;
        }
        struct stat st {};
        if (staged) {
            const auto done = staged->stage(path, record->content, record->meta.mode,
                                            record->meta.mtime_ns);
            st = done.st;  // the rename keeps size, mtime and mode
            out.staged = done.id;
        } else {
            write_file_atomically(m_config.sync_dir, path, record->content, record->meta.mode,
                                  record->meta.mtime_ns);
            const auto full = m_config.sync_dir / path;
            if (::lstat(full.c_str(), &st) != 0)
                throw std::system_error(errno, std::generic_category(), "lstat " + path);
        }
        out.upsert = IndexEntry{path,
                                remote.key,
                                static_cast<std::uint64_t>(st.st_size),
                                mtime_ns_of(st),
                                st.st_mode & k_synced_mode_bits,
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
