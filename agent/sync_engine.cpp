#include "agent/sync_engine.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <system_error>

#include "agent/content_hash.hpp"
#include "agent/file_reader.hpp"
#include "agent/file_writer.hpp"
#include "agent/sync_fs.hpp"
#include "agent/sync_path.hpp"
#include "shared/util/time.hpp"

namespace edgesync::agent {

namespace {

constexpr std::size_t k_tag_bytes = 16;  // XChaCha20-Poly1305
constexpr int k_max_rounds = 4;          // pull+push rounds of one full pass

}  // namespace

struct SyncEngine::Upload {
    std::string path;
    std::string key;
    bool remove = false;
    std::optional<std::int64_t> if_match;  // nullopt: create
    FileSnapshot snapshot;                 // puts
    EncryptedPayload payload;              // puts

    [[nodiscard]] std::size_t bytes() const { return payload.ciphertext.size(); }
    [[nodiscard]] BatchWrite write() const {
        return BatchWrite{key, remove, if_match, payload.ciphertext, payload.nonce};
    }
};

SyncEngine::SyncEngine(const AgentState& state, const AgentConfig& config, ApiClient& api)
    : m_state(state),
      m_config(config),
      m_api(api),
      m_states(api),
      m_index(Index::open(state.file("index.sqlite"))) {
    const auto key = state.load_account_key();
    if (!key)
        throw std::runtime_error(
            "this device has no account key yet: approve it on an enrolled device "
            "(edgesync-agent approve " +
            config.device_id + ")");
    m_cipher = std::make_unique<PayloadCipher>(key->key.view(), config.account_id);
    // Writes a killed run left pending (crash safety, docs/agent.md).
    for (auto& p : m_index.pending())
        (p.origin == PendingOrigin::pull ? m_pending_pulls : m_pending_pushes)[p.path].push_back(
            std::move(p));
    m_status.pid = static_cast<std::int64_t>(::getpid());
}

SyncEngine::~SyncEngine() = default;

void SyncEngine::start() {
    std::error_code ec;
    if (!std::filesystem::is_directory(m_config.sync_dir, ec))
        throw std::runtime_error("the sync folder " + m_config.sync_dir.string() +
                                 " does not exist (create it, or enroll again with --dir)");
    if (const auto n = remove_stale_temp_files(m_config.sync_dir, m_state.dir()); n > 0)
        spdlog::info("removed {} temp file(s) an interrupted write left behind", n);
    if (const auto device = m_index.meta(k_meta_device_id); !device)
        m_index.set_meta(k_meta_device_id, m_config.device_id);
    else if (*device != m_config.device_id)
        throw std::runtime_error("the index in " + m_state.dir().string() +
                                 " belongs to another device; remove index.sqlite to start over");
    m_limits = m_states.limits();
    m_status.connected = true;
    reload_ignore_rules();
}

void SyncEngine::reload_ignore_rules() {
    ++m_ignore_generation;
    std::ifstream in(m_config.sync_dir / k_ignore_file, std::ios::binary);
    if (!in) {
        m_ignore = IgnoreRules();
        return;
    }
    std::stringstream text;
    text << in.rdbuf();
    m_ignore = IgnoreRules::parse(text.str());
}

std::int64_t SyncEngine::last_applied_seq() { return m_index.last_applied_seq(); }
std::size_t SyncEngine::file_count() { return m_index.count(); }

std::vector<std::string> SyncEngine::take_repush() { return std::exchange(m_repush, {}); }

// ---- push -----------------------------------------------------------------

std::uint64_t SyncEngine::max_file_bytes(std::string_view path) const {
    if (m_limits.max_blob_bytes == 0) return UINT64_MAX;
    const std::size_t overhead = k_record_header_fixed_bytes + path.size() + k_tag_bytes;
    return m_limits.max_blob_bytes > overhead ? m_limits.max_blob_bytes - overhead : 0;
}

void SyncEngine::note_too_large(const std::string& path) {
    if (m_too_large.insert(path).second)
        spdlog::warn("skipping {}: larger than the server's limit of {} bytes per file", path,
                     max_file_bytes(path));
    m_status.skipped_too_large.assign(m_too_large.begin(), m_too_large.end());
}

bool SyncEngine::push_changes(const std::vector<LocalChange>& changes,
                              std::vector<std::string>* retry) {
    // Owner thread: classify against the index. Puts are read later, a window
    // at a time, so memory stays around one batch whatever the change count.
    std::vector<Upload> pending;
    std::vector<std::uint64_t> estimate;  // bytes of each pending upload, from the scan
    for (const auto& change : changes) {
        auto entry = m_index.find(change.path);
        if (change.kind == ChangeKind::touched) {
            if (entry) {
                entry->mtime_ns = change.entry.mtime_ns;
                entry->size = change.entry.size;
                m_index.upsert(*entry);
            }
            continue;
        }
        Upload u;
        u.path = change.path;
        if (change.kind == ChangeKind::deleted) {
            if (m_too_large.erase(change.path) > 0)
                m_status.skipped_too_large.assign(m_too_large.begin(), m_too_large.end());
            if (!entry) continue;
            if (entry->server_version == 0) {
                m_index.remove(change.path);
                continue;
            }
            u.key = entry->state_key;
            u.remove = true;
            u.if_match = entry->server_version;
        } else {
            u.key = m_cipher->state_key(change.path);
            if (entry && entry->server_version > 0) u.if_match = entry->server_version;
        }
        estimate.push_back(u.remove ? 0 : change.entry.size + 128 + change.path.size());
        pending.push_back(std::move(u));
    }

    m_status.pending_up = pending.size();
    const std::size_t max_items = std::max<std::size_t>(1, m_limits.max_batch_items);
    const std::size_t max_bytes =
        m_limits.max_batch_bytes == 0 ? SIZE_MAX : m_limits.max_batch_bytes;
    bool clean = true;
    std::size_t next = 0;
    while (next < pending.size() && !stopping()) {
        // One window: what should fit one batch by the scan's sizes.
        const std::size_t first = next;
        std::uint64_t window_bytes = 0;
        while (next < pending.size() && next - first < max_items &&
               (next == first || window_bytes + estimate[next] <= max_bytes))
            window_bytes += estimate[next++];
        std::vector<std::optional<ReadError>> failed(next - first);
        for_each_parallel(next - first, [&](std::size_t k) {
            Upload& u = pending[first + k];
            if (u.remove) return;
            auto snap = read_file_snapshot(m_config.sync_dir, u.path, max_file_bytes(u.path));
            if (!snap) {
                failed[k] = snap.error();
                return;
            }
            const FileMeta meta{u.path, snap->entry.mode, snap->entry.mtime_ns, snap->entry.size,
                                snap->content_hash};
            u.payload = m_cipher->seal(meta, snap->content);
            u.snapshot = std::move(*snap);
            u.snapshot.content = Bytes();  // sealed: the plaintext is not needed any more
        });
        std::vector<Upload> window;
        for (std::size_t k = 0; k < failed.size(); ++k) {
            Upload& u = pending[first + k];
            if (!failed[k]) {
                if (!u.remove && m_too_large.erase(u.path) > 0)
                    m_status.skipped_too_large.assign(m_too_large.begin(), m_too_large.end());
                window.push_back(std::move(u));
                continue;
            }
            switch (failed[k]->kind) {
                case ReadError::Kind::too_large:
                    note_too_large(u.path);
                    break;
                case ReadError::Kind::changing:
                    if (retry) retry->push_back(u.path);
                    break;
                case ReadError::Kind::gone:
                    break;  // its delete comes as its own change
                default:
                    spdlog::warn("cannot read {}: {}", u.path, failed[k]->message);
                    m_status.last_error = failed[k]->message;
            }
        }
        // Chunk by the real sizes (a file may have grown since the scan).
        std::size_t i = 0;
        while (i < window.size()) {
            std::vector<Upload> chunk;
            std::size_t bytes = 0;
            while (i < window.size() && chunk.size() < max_items &&
                   (chunk.empty() || bytes + window[i].bytes() <= max_bytes)) {
                bytes += window[i].bytes();
                chunk.push_back(std::move(window[i++]));
            }
            if (!send_batch(chunk)) clean = false;
        }
        m_status.pending_up = pending.size() - next;
    }
    m_status.pending_up = 0;
    return clean;
}

bool SyncEngine::send_batch(std::vector<Upload>& chunk) {
    bool clean = true;
    while (!chunk.empty()) {
        // What is about to be sent, committed first: a kill after the server
        // applied it but before record_done's commit leaves the restart able
        // to recognise its own writes in the feed (adopted, never a conflict).
        std::vector<PendingWrite> intents;
        intents.reserve(chunk.size());
        for (const auto& u : chunk)
            intents.push_back(PendingWrite{u.path, PendingOrigin::push, u.key,
                                           u.remove ? Bytes() : u.snapshot.content_hash,
                                           u.if_match.value_or(0)});
        record_pending(intents);
        if (chunk.size() == 1) {
            const auto& u = chunk.front();
            const auto outcome =
                u.remove ? m_states.remove(u.key, *u.if_match)
                         : m_states.put(u.key, u.payload.ciphertext, u.payload.nonce, u.if_match);
            if (const auto* done = std::get_if<WriteDone>(&outcome)) {
                fault_point("exit_after_push_send");
                auto tx = m_index.transaction();
                record_done(u, *done);
                tx.commit();
            } else {
                resolve_conflict(u, std::get<WriteConflict>(outcome));
                clean = false;
            }
            return clean;
        }
        std::vector<BatchWrite> writes;
        writes.reserve(chunk.size());
        for (const auto& u : chunk) writes.push_back(u.write());
        const auto outcome = m_states.batch(writes);
        if (!outcome.failed_index) {
            fault_point("exit_after_push_send");
            auto tx = m_index.transaction();  // one commit for the whole batch
            for (std::size_t k = 0; k < chunk.size() && k < outcome.results.size(); ++k)
                record_done(chunk[k], outcome.results[k]);
            tx.commit();
            return clean;
        }
        // Nothing was applied: resolve the one that failed, retry the others.
        const std::size_t failed = std::min(*outcome.failed_index, chunk.size() - 1);
        resolve_conflict(chunk[failed], outcome.conflict);
        clean = false;
        chunk.erase(chunk.begin() + static_cast<std::ptrdiff_t>(failed));
    }
    return clean;
}

void SyncEngine::resolve_conflict(const Upload& upload, const WriteConflict& conflict) {
    spdlog::debug("push of {} met {}", upload.path, conflict.code);
    // Refused: this write never reached the server (an earlier one, lost in a
    // crash, may have: its row stays, so the server's state is recognised).
    const Bytes sent = upload.remove ? Bytes() : upload.snapshot.content_hash;
    drop_pending(upload.path, PendingOrigin::push, &sent);
    if (conflict.current) {
        // The server moved on: apply its version like a pull would (the local
        // bytes, if different, become a conflict copy that is pushed next).
        apply_remote(*conflict.current);
        if (conflict.current->deleted && !upload.remove) m_repush.push_back(upload.path);
        return;
    }
    // not_found: the key is gone on the server (never existed at that version).
    m_index.remove(upload.path);
    if (!upload.remove) m_repush.push_back(upload.path);
}

void SyncEngine::record_done(const Upload& upload, const WriteDone& done) {
    m_status.bytes_up += upload.bytes();
    drop_pending(upload.path, PendingOrigin::push);
    if (upload.remove) {
        m_index.remove(upload.path);
        spdlog::debug("pushed delete of {}", upload.path);
    } else {
        const auto& e = upload.snapshot.entry;
        m_index.upsert(IndexEntry{upload.path, upload.key, e.size, e.mtime_ns, e.mode,
                                  upload.snapshot.content_hash, done.version, done.seq,
                                  FileStatus::clean});
        spdlog::debug("pushed {} (version {})", upload.path, done.version);
    }
    // Our own write right after the cursor: nothing from others lies between.
    if (done.seq == m_index.last_applied_seq() + 1) m_index.set_last_applied_seq(done.seq);
}

// ---- passes -----------------------------------------------------------------

void SyncEngine::full_pass() {
    m_status.state = "syncing";
    reload_ignore_rules();
    for (int round = 0; round < k_max_rounds && !stopping(); ++round) {
        pull();
        if (stopping()) break;
        const auto found = scan(ScanOptions{m_config.sync_dir, m_state.dir(), &m_ignore});
        for (const auto& s : m_skips.first_seen(found.skipped))
            spdlog::warn("not syncing {}: {}", s.path, s.reason);
        const auto changes =
            diff_with_index(found, m_index.all(), &m_ignore, disk_hasher(m_config.sync_dir));
        m_repush.clear();  // the scan covers them
        if (push_changes(changes, nullptr) && m_repush.empty()) break;
    }
    if (!stopping()) finish_pass();
}

void SyncEngine::finish_pass() {
    m_status.state = "idle";
    m_status.last_sync = format_rfc3339(now());
    m_status.files = m_index.count();
    m_status.last_applied_seq = m_index.last_applied_seq();
}

void SyncEngine::push_paths(const std::vector<std::string>& paths,
                            std::vector<std::string>& retry) {
    if (std::ranges::find(paths, std::string(k_ignore_file)) != paths.end()) reload_ignore_rules();
    ScanResult part;
    std::vector<IndexEntry> known;
    std::set<std::string> known_paths;
    const auto add_known = [&](IndexEntry e) {
        if (known_paths.insert(e.path).second) known.push_back(std::move(e));
    };
    for (const auto& path : paths) {
        if (!is_canonical_path(path)) continue;
        struct stat st {};
        const auto full = m_config.sync_dir / path;
        if (::lstat(full.c_str(), &st) == 0) {
            if (!S_ISREG(st.st_mode) || m_ignore.is_ignored(path, false)) continue;
            part.files.push_back(ScanEntry{path, EntryType::file,
                                           static_cast<std::uint64_t>(st.st_size), mtime_ns_of(st),
                                           st.st_mode & k_synced_mode_bits});
            if (auto e = m_index.find(path)) add_known(std::move(*e));
        } else if (errno == ENOENT || errno == ENOTDIR) {
            for (auto& e : m_index.under(path)) add_known(std::move(e));
        }
    }
    std::sort(part.files.begin(), part.files.end(),
              [](const ScanEntry& a, const ScanEntry& b) { return a.path < b.path; });
    std::sort(known.begin(), known.end(),
              [](const IndexEntry& a, const IndexEntry& b) { return a.path < b.path; });
    const auto changes = diff_with_index(part, known, &m_ignore, disk_hasher(m_config.sync_dir));
    if (changes.empty()) return;
    m_status.state = "syncing";
    push_changes(changes, &retry);
    finish_pass();
}

}  // namespace edgesync::agent
