#include "shared/migrate/migrator.hpp"

#include <fmt/format.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <charconv>

#include "shared/migrate/conninfo.hpp"
#include "shared/migrate/version_table.hpp"

namespace edgesync::migrate {
namespace {

std::string_view trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string_view first_line(std::string_view s) {
    s = trim(s);
    return s.substr(0, s.find('\n'));
}

struct PgMessage {
    std::string text;
    std::optional<int> line;
};

// libpq formats "ERROR:  <text>\nLINE <n>: <sql>\n<caret>\n"; keep the text
// and the line number (which, for a whole file sent at once, is the file's).
PgMessage parse_pg_message(std::string_view what) {
    PgMessage out;
    std::string_view text = first_line(what);
    for (const std::string_view prefix : {"ERROR:", "FATAL:"})
        if (text.starts_with(prefix)) text = trim(text.substr(prefix.size()));
    out.text = std::string(text);
    if (const auto pos = what.find("\nLINE "); pos != std::string_view::npos) {
        const auto digits = what.substr(pos + 6);
        int line = 0;
        const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), line);
        if (ec == std::errc{} && p != digits.data()) out.line = line;
    }
    return out;
}

std::string version_text(std::optional<std::int64_t> v) { return v ? std::to_string(*v) : "-1"; }

// Routes server notices (e.g. "table does not exist, skipping") to a
// callback instead of libpqxx's default, stderr.
class NoticeForwarder final : public pqxx::errorhandler {
  public:
    NoticeForwarder(pqxx::connection_base& conn, std::function<void(std::string_view)> sink)
        : pqxx::errorhandler(conn), m_sink(std::move(sink)) {}
    ~NoticeForwarder() override = default;
    bool operator()(const char msg[]) noexcept override {
        if (m_sink) {
            try {
                m_sink(trim(msg));
            } catch (...) {  // NOLINT(bugprone-empty-catch): a notice is never worth a crash
            }
        }
        return false;
    }

  private:
    std::function<void(std::string_view)> m_sink;
};

}  // namespace

MigrationFailed::MigrationFailed(std::string file, std::string pg_message, std::optional<int> line,
                                 SchemaVersion dirty, std::optional<std::int64_t> force_to)
    : Error(fmt::format("migration {} failed: {}{}; it was rolled back and the database is marked "
                        "dirty at version {}: fix the file, run `edgesync migrate force {}`, "
                        "then migrate again",
                        file, pg_message, line ? fmt::format(" (line {})", *line) : "",
                        version_text(dirty.version), version_text(force_to)),
            ExitCode::conflict),
      m_file(std::move(file)),
      m_pg_message(std::move(pg_message)),
      m_dirty(dirty) {}

struct Migrator::Impl {
    Options options;
    std::unique_ptr<pqxx::connection> conn;
    std::unique_ptr<NoticeForwarder> notices;   // declared after conn: destroyed before it
    std::optional<detail::VersionTable> table;  // set once connected
    std::optional<std::vector<Migration>> files;

    // Runs f, turning libpqxx's exceptions into EdgeSync's.
    template <class F>
    auto guarded(F&& f) -> decltype(f()) {
        try {
            return f();
        } catch (const pqxx::broken_connection& e) {
            throw ConnectionError(fmt::format("lost the connection to {}: {}",
                                              redact_database_url(options.database_url),
                                              first_line(e.what())));
        } catch (const pqxx::in_doubt_error& e) {
            throw ConnectionError(
                fmt::format("lost the connection during a commit ({}): check "
                            "`edgesync migrate version`",
                            first_line(e.what())));
        } catch (const pqxx::failure& e) {
            throw StorageError(fmt::format("migrate: {}", parse_pg_message(e.what()).text));
        }
    }

    SchemaVersion read_version() {
        pqxx::read_transaction tx(*conn);
        return table->read(tx);
    }

    const std::vector<Migration>& migrations() {
        if (!files) files = load_migrations(options.dir);
        return *files;
    }

    // Runs one file and its version update in one transaction. On an SQL
    // error marks the database dirty (in a transaction of its own) and throws
    // MigrationFailed.
    AppliedMigration apply(const Step& step, const SchemaVersion& before) {
        const auto& file =
            step.direction == Direction::up ? step.migration.up : *step.migration.down;
        const auto sql = read_sql(file);
        const auto start = std::chrono::steady_clock::now();
        try {
            pqxx::work tx(*conn, "migrate");
            tx.exec(sql);
            table->write(tx, step.target, false);
            tx.commit();
        } catch (const pqxx::sql_error& e) {
            const auto msg = parse_pg_message(e.what());
            const SchemaVersion dirty{step.target, true};
            {
                pqxx::work mark(*conn, "mark_dirty");
                table->write(mark, dirty.version, true);
                mark.commit();
            }
            throw MigrationFailed(file.filename().string(), msg.text, msg.line, dirty,
                                  before.version);
        }
        return AppliedMigration{step.migration.version, step.migration.name, step.direction,
                                std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - start)};
    }

    template <class Planner>
    RunResult run(Planner&& plan) {
        return guarded([&] {
            const auto& all = migrations();
            detail::AdvisoryLock lock(*conn, table->lock_key(), options.on_lock_wait);
            {
                pqxx::work tx(*conn, "ensure_table");
                table->ensure(tx);
                tx.commit();
            }
            RunResult result;
            result.before = read_version();
            auto current = result.before;
            for (const auto& step : plan(all, result.before)) {
                result.applied.push_back(apply(step, current));
                current = SchemaVersion{step.target, false};
                if (options.on_applied) options.on_applied(result.applied.back());
            }
            result.after = read_version();
            return result;
        });
    }
};

Migrator::Migrator(Options options) : m_impl(std::make_unique<Impl>()) {
    m_impl->options = std::move(options);
    const auto& url = m_impl->options.database_url;
    try {
        m_impl->conn = std::make_unique<pqxx::connection>(
            with_connect_timeout(url, m_impl->options.connect_timeout));
    } catch (const pqxx::failure& e) {
        throw ConnectionError(fmt::format("cannot connect to {}: {}", redact_database_url(url),
                                          scrub_secrets(first_line(e.what()), url)));
    }
    m_impl->notices = std::make_unique<NoticeForwarder>(*m_impl->conn, m_impl->options.on_notice);
    m_impl->guarded([&] { m_impl->table.emplace(*m_impl->conn); });
}

Migrator::~Migrator() = default;

const std::vector<Migration>& Migrator::migrations() { return m_impl->migrations(); }

SchemaVersion Migrator::version() {
    return m_impl->guarded([&] { return m_impl->read_version(); });
}

Status Migrator::status() {
    Status s;
    s.version = version();
    const auto& all = migrations();
    for (const auto& m : all) {
        const bool applied = s.version.version && m.version <= *s.version.version;
        s.migrations.push_back(MigrationStatus{m, applied});
    }
    s.version_has_file =
        !s.version.version || std::any_of(all.begin(), all.end(), [&](const Migration& m) {
            return m.version == *s.version.version;
        });
    return s;
}

std::vector<Step> Migrator::plan_down(std::optional<std::size_t> limit) {
    return migrate::plan_down(migrations(), version(), limit);
}

std::vector<Step> Migrator::plan_goto(std::int64_t target) {
    return migrate::plan_goto(migrations(), version(), target);
}

RunResult Migrator::up(std::optional<std::size_t> limit) {
    return m_impl->run(
        [&](const auto& files, const SchemaVersion& v) { return plan_up(files, v, limit); });
}

RunResult Migrator::down(std::optional<std::size_t> limit) {
    return m_impl->run([&](const auto& files, const SchemaVersion& v) {
        return migrate::plan_down(files, v, limit);
    });
}

RunResult Migrator::goto_version(std::int64_t target) {
    return m_impl->run([&](const auto& files, const SchemaVersion& v) {
        return migrate::plan_goto(files, v, target);
    });
}

SchemaVersion Migrator::force(std::optional<std::int64_t> version) {
    if (version && *version < 0)
        throw Error(
            fmt::format("cannot force version {}: versions are >= 0 (-1 means none)", *version),
            ExitCode::usage);
    return m_impl->guarded([&] {
        detail::AdvisoryLock lock(*m_impl->conn, m_impl->table->lock_key(),
                                  m_impl->options.on_lock_wait);
        pqxx::work tx(*m_impl->conn, "force");
        m_impl->table->ensure(tx);
        m_impl->table->write(tx, version, false);
        tx.commit();
        return SchemaVersion{version, false};
    });
}

}  // namespace edgesync::migrate
