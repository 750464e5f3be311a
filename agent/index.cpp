#include "agent/index.hpp"

#include <sqlite3.h>

#include <string>
#include <unordered_map>

#include "shared/util/error.hpp"

namespace edgesync::agent {

namespace {

constexpr std::string_view k_status_names[] = {"clean", "dirty", "deleted", "conflict"};

// Schema history: index i holds the SQL that takes user_version i to i + 1.
constexpr const char* k_migrations[] = {
    R"sql(
CREATE TABLE files (
    path           TEXT PRIMARY KEY,
    state_key      TEXT NOT NULL UNIQUE,
    size           INTEGER NOT NULL,
    mtime_ns       INTEGER NOT NULL,
    mode           INTEGER NOT NULL,
    content_hash   BLOB NOT NULL,
    server_version INTEGER NOT NULL DEFAULT 0,
    server_seq     INTEGER NOT NULL DEFAULT 0,
    status         TEXT NOT NULL CHECK (status IN ('clean', 'dirty', 'deleted', 'conflict'))
);
CREATE INDEX files_status ON files (status);
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
)sql",
    // 1 -> 2: writes recorded before they happen (PendingWrite). Replaces the
    // meta key `pending_writes` of the first crash-safety fix.
    R"sql(
CREATE TABLE pending (
    path         TEXT NOT NULL,
    origin       TEXT NOT NULL CHECK (origin IN ('pull', 'push')),
    state_key    TEXT NOT NULL,
    content_hash BLOB NOT NULL,
    version      INTEGER NOT NULL,
    PRIMARY KEY (path, origin, content_hash)
);
DELETE FROM meta WHERE key = 'pending_writes';
)sql",
};
static_assert(std::size(k_migrations) == Index::k_schema_version);

struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
struct DbDeleter {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};

// Resets a cached statement when a query is done with it, even on throw.
class Reset {
  public:
    explicit Reset(sqlite3_stmt* s) : m_stmt(s) {}
    Reset(const Reset&) = delete;
    Reset& operator=(const Reset&) = delete;
    ~Reset() {
        sqlite3_reset(m_stmt);
        sqlite3_clear_bindings(m_stmt);
    }

  private:
    sqlite3_stmt* m_stmt;
};

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
    throw StorageError("local index: " + what + ": " + sqlite3_errmsg(db));
}

void bind_text(sqlite3* db, sqlite3_stmt* s, int i, std::string_view v) {
    if (sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) !=
        SQLITE_OK)
        fail(db, "bind");
}
void bind_int(sqlite3* db, sqlite3_stmt* s, int i, std::int64_t v) {
    if (sqlite3_bind_int64(s, i, v) != SQLITE_OK) fail(db, "bind");
}
std::string column_text(sqlite3_stmt* s, int i) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
    return p == nullptr ? std::string{}
                        : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
}

constexpr const char* k_select_columns =
    "SELECT path, state_key, size, mtime_ns, mode, content_hash, server_version, server_seq, "
    "status FROM files ";

}  // namespace

std::string_view to_string(FileStatus status) noexcept {
    return k_status_names[static_cast<std::size_t>(status)];
}

std::optional<FileStatus> parse_file_status(std::string_view text) noexcept {
    for (std::size_t i = 0; i < std::size(k_status_names); ++i)
        if (k_status_names[i] == text) return static_cast<FileStatus>(i);
    return std::nullopt;
}

struct Index::Impl {
    std::unique_ptr<sqlite3, DbDeleter> db;
    std::unordered_map<const char*, std::unique_ptr<sqlite3_stmt, StmtDeleter>> statements;
};

Index::Index(sqlite3* db) : m_impl(std::make_unique<Impl>()) { m_impl->db.reset(db); }
Index::Index(Index&&) noexcept = default;
Index& Index::operator=(Index&&) noexcept = default;
Index::~Index() = default;

Index Index::open(const std::filesystem::path& file) {
    sqlite3* raw = nullptr;
    const int rc =
        sqlite3_open_v2(file.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    Index index(raw);  // owns `raw` even when opening failed
    if (rc != SQLITE_OK) fail(raw, "open " + file.string());
    sqlite3_busy_timeout(raw, 5000);  // `status` may read while `run` writes
    index.exec("PRAGMA journal_mode=WAL");
    index.exec("PRAGMA synchronous=NORMAL");
    index.exec("PRAGMA foreign_keys=ON");
    index.migrate();
    return index;
}

void Index::exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(m_impl->db.get(), sql, nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = error != nullptr ? error : "unknown error";
        sqlite3_free(error);
        throw StorageError(std::string("local index: ") + message);
    }
}

void Index::migrate() {
    sqlite3* db = m_impl->db.get();
    int version = 0;
    {
        sqlite3_stmt* s = statement("PRAGMA user_version");
        Reset reset(s);
        if (sqlite3_step(s) != SQLITE_ROW) fail(db, "read schema version");
        version = sqlite3_column_int(s, 0);
    }
    if (version > k_schema_version)
        throw StorageError("local index: schema version " + std::to_string(version) +
                           " is newer than this agent's (" + std::to_string(k_schema_version) +
                           "); upgrade edgesync-agent");
    for (int v = version; v < k_schema_version; ++v) {
        Transaction tx(*this);
        exec(k_migrations[v]);
        exec(("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
        tx.commit();
    }
}

sqlite3_stmt* Index::statement(const char* sql) {
    auto& slot = m_impl->statements[sql];
    if (!slot) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v3(m_impl->db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) !=
            SQLITE_OK)
            fail(m_impl->db.get(), "prepare");
        slot.reset(s);
    }
    return slot.get();
}

std::vector<IndexEntry> Index::query_entries(sqlite3_stmt* s) {
    Reset reset(s);
    std::vector<IndexEntry> out;
    while (true) {
        const int rc = sqlite3_step(s);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) fail(m_impl->db.get(), "query");
        IndexEntry e;
        e.path = column_text(s, 0);
        e.state_key = column_text(s, 1);
        e.size = static_cast<std::uint64_t>(sqlite3_column_int64(s, 2));
        e.mtime_ns = sqlite3_column_int64(s, 3);
        e.mode = static_cast<std::uint32_t>(sqlite3_column_int64(s, 4));
        const auto* blob = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 5));
        e.content_hash.assign(blob, blob + sqlite3_column_bytes(s, 5));
        e.server_version = sqlite3_column_int64(s, 6);
        e.server_seq = sqlite3_column_int64(s, 7);
        const auto status = parse_file_status(column_text(s, 8));
        if (!status) throw StorageError("local index: unknown status in row " + e.path);
        e.status = *status;
        out.push_back(std::move(e));
    }
    return out;
}

std::optional<IndexEntry> Index::find(std::string_view path) {
    static const std::string sql = std::string(k_select_columns) + "WHERE path = ?1";
    auto* s = statement(sql.c_str());
    bind_text(m_impl->db.get(), s, 1, path);
    auto rows = query_entries(s);
    if (rows.empty()) return std::nullopt;
    return std::move(rows.front());
}

std::optional<IndexEntry> Index::find_by_state_key(std::string_view state_key) {
    static const std::string sql = std::string(k_select_columns) + "WHERE state_key = ?1";
    auto* s = statement(sql.c_str());
    bind_text(m_impl->db.get(), s, 1, state_key);
    auto rows = query_entries(s);
    if (rows.empty()) return std::nullopt;
    return std::move(rows.front());
}

std::vector<IndexEntry> Index::all() {
    static const std::string sql = std::string(k_select_columns) + "ORDER BY path";
    return query_entries(statement(sql.c_str()));
}

std::vector<IndexEntry> Index::with_status(FileStatus status) {
    static const std::string sql =
        std::string(k_select_columns) + "WHERE status = ?1 ORDER BY path";
    auto* s = statement(sql.c_str());
    bind_text(m_impl->db.get(), s, 1, to_string(status));
    return query_entries(s);
}

std::vector<IndexEntry> Index::under(std::string_view dir) {
    // '0' is the byte after '/': [dir/, dir0) is exactly "everything below dir".
    static const std::string sql = std::string(k_select_columns) +
                                   "WHERE path = ?1 OR (path >= ?1 || '/' AND path < ?1 || '0') "
                                   "ORDER BY path";
    auto* s = statement(sql.c_str());
    bind_text(m_impl->db.get(), s, 1, dir);
    return query_entries(s);
}

std::size_t Index::count() {
    auto* s = statement("SELECT count(*) FROM files");
    Reset reset(s);
    if (sqlite3_step(s) != SQLITE_ROW) fail(m_impl->db.get(), "count");
    return static_cast<std::size_t>(sqlite3_column_int64(s, 0));
}

void Index::upsert(const IndexEntry& e) {
    sqlite3* db = m_impl->db.get();
    auto* s = statement(
        "INSERT INTO files (path, state_key, size, mtime_ns, mode, content_hash, server_version, "
        "server_seq, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
        "ON CONFLICT (path) DO UPDATE SET state_key = excluded.state_key, size = excluded.size, "
        "mtime_ns = excluded.mtime_ns, mode = excluded.mode, content_hash = excluded.content_hash, "
        "server_version = excluded.server_version, server_seq = excluded.server_seq, "
        "status = excluded.status");
    Reset reset(s);
    bind_text(db, s, 1, e.path);
    bind_text(db, s, 2, e.state_key);
    bind_int(db, s, 3, static_cast<std::int64_t>(e.size));
    bind_int(db, s, 4, e.mtime_ns);
    bind_int(db, s, 5, e.mode);
    // A zero-length blob, never NULL (the column is NOT NULL).
    if (sqlite3_bind_blob(
            s, 6, e.content_hash.empty() ? "" : static_cast<const void*>(e.content_hash.data()),
            static_cast<int>(e.content_hash.size()), SQLITE_TRANSIENT) != SQLITE_OK)
        fail(db, "bind");
    bind_int(db, s, 7, e.server_version);
    bind_int(db, s, 8, e.server_seq);
    bind_text(db, s, 9, to_string(e.status));
    if (sqlite3_step(s) != SQLITE_DONE) fail(db, "upsert " + e.path);
}

bool Index::remove(std::string_view path) {
    sqlite3* db = m_impl->db.get();
    auto* s = statement("DELETE FROM files WHERE path = ?1");
    Reset reset(s);
    bind_text(db, s, 1, path);
    if (sqlite3_step(s) != SQLITE_DONE) fail(db, "remove");
    return sqlite3_changes(db) > 0;
}

namespace {
std::string_view origin_name(PendingOrigin o) noexcept {
    return o == PendingOrigin::pull ? "pull" : "push";
}
}  // namespace

void Index::add_pending(const std::vector<PendingWrite>& writes) {
    if (writes.empty()) return;
    // Back to NORMAL however this ends (the pragma cannot change inside a
    // transaction, so it brackets the transaction).
    struct Durable {
        Index& index;
        explicit Durable(Index& i) : index(i) { index.exec("PRAGMA synchronous=FULL"); }
        Durable(const Durable&) = delete;
        Durable& operator=(const Durable&) = delete;
        ~Durable() {
            try {
                index.exec("PRAGMA synchronous=NORMAL");
            } catch (const StorageError&) {
                // still FULL: slower, never less safe
            }
        }
    } durable(*this);
    Transaction tx(*this);
    for (const auto& p : writes) add_pending_row(p);
    tx.commit();
}

void Index::add_pending_row(const PendingWrite& p) {
    sqlite3* db = m_impl->db.get();
    auto* s = statement(
        "INSERT INTO pending (path, origin, state_key, content_hash, version) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (path, origin, content_hash) DO UPDATE SET "
        "state_key = excluded.state_key, version = excluded.version");
    Reset reset(s);
    bind_text(db, s, 1, p.path);
    bind_text(db, s, 2, origin_name(p.origin));
    bind_text(db, s, 3, p.state_key);
    if (sqlite3_bind_blob(
            s, 4, p.content_hash.empty() ? "" : static_cast<const void*>(p.content_hash.data()),
            static_cast<int>(p.content_hash.size()), SQLITE_TRANSIENT) != SQLITE_OK)
        fail(db, "bind");
    bind_int(db, s, 5, p.version);
    if (sqlite3_step(s) != SQLITE_DONE) fail(db, "add pending " + p.path);
}

void Index::remove_pending(std::string_view path, PendingOrigin origin,
                           const Bytes* content_hash) {
    sqlite3* db = m_impl->db.get();
    auto* s = statement(
        "DELETE FROM pending WHERE path = ?1 AND origin = ?2 AND (?3 IS NULL OR content_hash = ?3)");
    Reset reset(s);
    bind_text(db, s, 1, path);
    bind_text(db, s, 2, origin_name(origin));
    if (content_hash != nullptr &&
        sqlite3_bind_blob(
            s, 3, content_hash->empty() ? "" : static_cast<const void*>(content_hash->data()),
            static_cast<int>(content_hash->size()), SQLITE_TRANSIENT) != SQLITE_OK)
        fail(db, "bind");
    if (sqlite3_step(s) != SQLITE_DONE) fail(db, "remove pending");
}

void Index::clear_pending(PendingOrigin origin) {
    sqlite3* db = m_impl->db.get();
    auto* s = statement("DELETE FROM pending WHERE origin = ?1");
    Reset reset(s);
    bind_text(db, s, 1, origin_name(origin));
    if (sqlite3_step(s) != SQLITE_DONE) fail(db, "clear pending");
}

std::vector<PendingWrite> Index::pending() {
    sqlite3* db = m_impl->db.get();
    auto* s = statement(
        "SELECT path, origin, state_key, content_hash, version FROM pending ORDER BY path");
    Reset reset(s);
    std::vector<PendingWrite> out;
    for (;;) {
        const int rc = sqlite3_step(s);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) fail(db, "query pending");
        PendingWrite p;
        p.path = column_text(s, 0);
        p.origin = column_text(s, 1) == "push" ? PendingOrigin::push : PendingOrigin::pull;
        p.state_key = column_text(s, 2);
        const auto* blob = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 3));
        p.content_hash.assign(blob, blob + sqlite3_column_bytes(s, 3));
        p.version = sqlite3_column_int64(s, 4);
        out.push_back(std::move(p));
    }
    return out;
}

std::optional<std::string> Index::meta(std::string_view key) {
    sqlite3* db = m_impl->db.get();
    auto* s = statement("SELECT value FROM meta WHERE key = ?1");
    Reset reset(s);
    bind_text(db, s, 1, key);
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) fail(db, "read meta");
    return column_text(s, 0);
}

void Index::set_meta(std::string_view key, std::string_view value) {
    sqlite3* db = m_impl->db.get();
    auto* s = statement(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    Reset reset(s);
    bind_text(db, s, 1, key);
    bind_text(db, s, 2, value);
    if (sqlite3_step(s) != SQLITE_DONE) fail(db, "write meta");
}

std::int64_t Index::last_applied_seq() {
    const auto value = meta(k_meta_last_applied_seq);
    if (!value) return 0;
    try {
        return std::stoll(*value);
    } catch (const std::exception&) {
        throw StorageError("local index: last_applied_seq is not a number");
    }
}

void Index::set_last_applied_seq(std::int64_t seq) {
    set_meta(k_meta_last_applied_seq, std::to_string(seq));
}

Index::Transaction::Transaction(Index& index) : m_index(&index) { index.exec("BEGIN IMMEDIATE"); }

void Index::Transaction::commit() {
    m_index->exec("COMMIT");
    m_done = true;
}

Index::Transaction::~Transaction() {
    if (m_done) return;
    try {
        m_index->exec("ROLLBACK");
    } catch (const StorageError&) {
        // SQLite may already have rolled back (e.g. after SQLITE_FULL); nothing left to undo.
    }
}

}  // namespace edgesync::agent
