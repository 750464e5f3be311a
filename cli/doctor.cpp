#include "cli/doctor.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <optional>
#include <system_error>

#include "cli/settings.hpp"
#include "cli/stores.hpp"
#include "shared/db/pg_pool.hpp"
#include "shared/db/redis_pool.hpp"
#include "shared/migrate/conninfo.hpp"
#include "shared/migrate/migration_files.hpp"
#include "shared/migrate/migrator.hpp"
#include "shared/util/time.hpp"

namespace edgesync::cli {
namespace {

namespace mg = edgesync::migrate;
using std::chrono::microseconds;

// Runs `body`, turning what it throws into a failed check: a ConnectionError
// marks it a connection failure (doctor then exits 5).
CheckResult attempt(std::string name, const std::function<CheckResult()>& body) {
    try {
        auto r = body();
        r.check = std::move(name);
        return r;
    } catch (const ConnectionError& e) {
        return {std::move(name), CheckLevel::fail, e.what(), true};
    } catch (const std::exception& e) {
        return {std::move(name), CheckLevel::fail, e.what(), false};
    }
}

CheckResult skipped(std::string name, const std::string& because) {
    return {std::move(name), CheckLevel::skip, "not checked: " + because, false};
}

// Skew of the host clock against a server's, measured as the server's time
// minus the midpoint of the host's times before and after asking. The round
// trip bounds the error, so the thresholds apply to |skew| - rtt/2.
CheckResult judge_skew(const char* server, Timestamp before, microseconds server_time,
                       Timestamp after) {
    const auto rtt = after - before;
    const auto mid = before + rtt / 2;
    const double skew = std::chrono::duration<double>(server_time - mid.time_since_epoch()).count();
    const double error = std::chrono::duration<double>(rtt).count() / 2;
    const double lower = std::max(0.0, std::fabs(skew) - error);
    const auto detail = fmt::format("host clock {:.3f} s {} {} (+/- {:.3f} s)", std::fabs(skew),
                                    skew > 0 ? "behind" : "ahead of", server, error);
    if (lower > k_skew_fail_seconds)
        return {"", CheckLevel::fail,
                fmt::format("{}; more than {:.0f} s: fix NTP", detail, k_skew_fail_seconds)};
    if (lower > k_skew_warn_seconds)
        return {"", CheckLevel::warn,
                fmt::format("{}; more than {:.0f} s", detail, k_skew_warn_seconds)};
    return {"", CheckLevel::ok, detail};
}

// NAME=<redacted value> (from <origin>), or a failure naming what is wrong.
// `read` is the validating Config accessor (database_url, redis_url).
CheckResult url_setting(const Context& context, const char* check, const char* name,
                        const std::function<std::string(const Config&)>& read,
                        std::string (*redact)(std::string_view)) {
    return attempt(check, [&] {
        const auto url = read(context.config);
        const auto origin = context.config.origin(name).value_or(ConfigOrigin::default_value);
        return CheckResult{"", CheckLevel::ok,
                           fmt::format("{}={} (from {})", name, redact(url), origin_name(origin))};
    });
}

CheckResult jwt_setting(const Context& context) {
    const auto value = context.config.get("JWT_SECRET");
    if (!value)
        return {"config.jwt_secret", CheckLevel::ok,
                "JWT_SECRET not set (only edgesync-server needs it)"};
    const auto from = origin_name(*context.config.origin("JWT_SECRET"));
    if (value->size() < 32)
        return {"config.jwt_secret", CheckLevel::fail,
                fmt::format("JWT_SECRET is {} bytes (from {}); it needs at least 32", value->size(),
                            from)};
    return {"config.jwt_secret", CheckLevel::ok,
            fmt::format("JWT_SECRET set, {} bytes (from {})", value->size(), from)};
}

CheckResult migrations_setting(const MigrationsDir& dir) {
    // Whether it exists is the migrations check's business (a warning there).
    if (dir.path.empty())
        return {"config.migrations_path", CheckLevel::ok,
                "MIGRATIONS_PATH not set and no default folder exists"};
    return {"config.migrations_path", CheckLevel::ok,
            fmt::format("MIGRATIONS_PATH={} ({})", dir.path.string(),
                        dir.source == "installed"     ? "default: the installed share folder"
                        : dir.source == "source tree" ? "default: the source tree's"
                                                      : "from " + dir.source)};
}

// The Postgres checks: reachable, schema version, pending files, clock.
void check_postgres(const Context& context, Stores& stores, const MigrationsDir& dir,
                    std::vector<CheckResult>& out) {
    const auto reach = attempt("postgres", [&] {
        const auto version = stores.pg().read([](pqxx::nontransaction& tx) {
            return tx.exec1("SHOW server_version")[0].as<std::string>();
        });
        return CheckResult{"", CheckLevel::ok,
                           fmt::format("PostgreSQL {} at {}", version,
                                       mg::redact_database_url(context.config.database_url()))};
    });
    out.push_back(reach);
    if (reach.level == CheckLevel::fail) {
        for (const char* name : {"schema", "migrations", "clock.postgres"})
            out.push_back(skipped(name, "Postgres unreachable"));
        return;
    }
    std::optional<mg::SchemaVersion> schema;
    out.push_back(attempt("schema", [&] {
        mg::Migrator migrator(
            {.database_url = context.config.database_url(), .connect_timeout = context.timeout});
        schema = migrator.version();
        if (!schema->version)
            return CheckResult{"", CheckLevel::fail,
                               "no migration applied: run `edgesync migrate up`"};
        if (schema->dirty)
            return CheckResult{"", CheckLevel::fail,
                               fmt::format("version {} is dirty: a migration failed; see "
                                           "`edgesync migrate status`",
                                           *schema->version)};
        return CheckResult{"", CheckLevel::ok, fmt::format("version {}", *schema->version)};
    }));
    out.push_back(attempt("migrations", [&] {
        if (!schema) return skipped("", "schema version unknown");
        if (dir.path.empty())
            return CheckResult{"", CheckLevel::warn,
                               fmt::format("cannot compare: no migrations folder found (tried "
                                           "{}; set MIGRATIONS_PATH)",
                                           tried_list(dir))};
        std::error_code ec;
        if (!std::filesystem::is_directory(dir.path, ec))
            return CheckResult{"", CheckLevel::warn,
                               fmt::format("cannot compare: {} is not a directory (set "
                                           "MIGRATIONS_PATH)",
                                           dir.path.string())};
        const auto files = mg::load_migrations(dir.path);
        const auto current = schema->version.value_or(0);
        std::vector<std::string> pending;
        for (const auto& f : files)
            if (f.version > current) pending.push_back(f.name);
        const auto newest = files.empty() ? 0 : files.back().version;
        if (!pending.empty())
            return CheckResult{
                "", CheckLevel::fail,
                fmt::format("{} pending in {}: {}; run `edgesync migrate up`", pending.size(),
                            dir.path.string(), fmt::join(pending, ", "))};
        if (current > newest)
            return CheckResult{"", CheckLevel::warn,
                               fmt::format("the database is at version {} but the newest file in "
                                           "{} is {}: an older edgesync?",
                                           current, dir.path.string(), newest)};
        return CheckResult{
            "", CheckLevel::ok,
            fmt::format("none pending ({} files in {})", files.size(), dir.path.string())};
    }));
    out.push_back(attempt("clock.postgres", [&] {
        const auto before = now();
        const auto server = stores.pg().read([](pqxx::nontransaction& tx) {
            return tx.exec1("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint")[0]
                .as<std::int64_t>();
        });
        return judge_skew("Postgres", before, microseconds(server), now());
    }));
}

// Reachable (with version), then the clock.
void check_redis(const Context& context, Stores& stores, std::vector<CheckResult>& out) {
    const auto reach = attempt("redis", [&] {
        auto redis = stores.redis().acquire();
        const auto info = redis->command({"INFO", "server"}).as_string();
        std::string version = "?";
        if (const auto at = info.find("redis_version:"); at != std::string::npos)
            version = info.substr(at + 14, info.find_first_of("\r\n", at) - at - 14);
        return CheckResult{
            "", CheckLevel::ok,
            fmt::format("Redis {} at {}", version, redact_url(context.config.redis_url()))};
    });
    out.push_back(reach);
    if (reach.level == CheckLevel::fail) {
        out.push_back(skipped("clock.redis", "Redis unreachable"));
        return;
    }
    out.push_back(attempt("clock.redis", [&] {
        auto redis = stores.redis().acquire();
        const auto before = now();
        const auto time = redis->command({"TIME"}).as_string_array();
        const auto after = now();
        if (time.size() != 2) throw StorageError("Redis TIME: unexpected reply");
        const auto server = microseconds(std::stoll(time[0]) * 1'000'000 + std::stoll(time[1]));
        return judge_skew("Redis", before, server, after);
    }));
}

}  // namespace

const char* to_string(CheckLevel level) {
    switch (level) {
        case CheckLevel::ok:
            return "ok";
        case CheckLevel::warn:
            return "warn";
        case CheckLevel::fail:
            return "fail";
        case CheckLevel::skip:
            return "skip";
    }
    return "fail";
}

std::vector<CheckResult> run_checks(const Context& context) {
    std::vector<CheckResult> out;
    Stores stores(context);
    const auto dir = migrations_dir(context.config);
    const auto db_url = url_setting(
        context, "config.database_url", "DATABASE_URL",
        [](const Config& c) { return c.database_url(); }, &mg::redact_database_url);
    const auto redis_url = url_setting(
        context, "config.redis_url", "REDIS_URL", [](const Config& c) { return c.redis_url(); },
        &redact_url);
    if (db_url.level == CheckLevel::fail) {
        for (const char* name : {"postgres", "schema", "migrations", "clock.postgres"})
            out.push_back(skipped(name, "DATABASE_URL unusable"));
    } else {
        check_postgres(context, stores, dir, out);
    }
    if (redis_url.level == CheckLevel::fail) {
        for (const char* name : {"redis", "clock.redis"})
            out.push_back(skipped(name, "REDIS_URL unusable"));
    } else {
        check_redis(context, stores, out);
    }
    out.push_back(db_url);
    out.push_back(redis_url);
    out.push_back(jwt_setting(context));
    out.push_back(migrations_setting(dir));
    return out;
}

}  // namespace edgesync::cli
