// `edgesync migrate ...`: the command table and the commands, over
// shared/migrate. Output shapes are documented in docs/cli.md (migrate).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <limits>
#include <memory>

#include "cli/console.hpp"
#include "cli/groups.hpp"
#include "cli/settings.hpp"
#include "shared/migrate/conninfo.hpp"
#include "shared/migrate/migrator.hpp"

namespace edgesync::cli {
namespace {

namespace mg = edgesync::migrate;
using nlohmann::json;

constexpr std::int64_t k_max = std::numeric_limits<std::int64_t>::max();

// What every migrate command works on, resolved from the configuration.
struct Target {
    std::string database_url;  // read only by commands that connect
    std::filesystem::path dir;
    std::string dir_source;  // MigrationsDir::source, for --verbose
};

struct UpArgs {
    std::optional<std::size_t> count;  // nullopt: all pending
};
struct DownArgs {
    std::optional<std::size_t> count;  // nullopt with all
    bool all = false;
    bool yes = false;
};
struct GotoArgs {
    std::int64_t version = 0;
    bool yes = false;
};

Target target_of(const Context& context, bool needs_database) {
    Target t;
    if (needs_database) t.database_url = context.config.database_url();
    const auto dir = migrations_dir(context.config);
    t.dir = require_migrations_dir(dir);
    t.dir_source = dir.source;
    return t;
}

json version_json(const mg::SchemaVersion& v) {
    return {{"version", v.version ? json(*v.version) : json(nullptr)}, {"dirty", v.dirty}};
}

std::unique_ptr<mg::Migrator> open(const Context& context, const Target& target) {
    note(context, fmt::format("database {}", mg::redact_database_url(target.database_url)));
    note(context, fmt::format("migrations {} ({})", target.dir.string(), target.dir_source));
    mg::Migrator::Options options;
    options.database_url = target.database_url;
    options.dir = target.dir;
    options.connect_timeout = context.timeout;
    if (!context.json)
        options.on_applied = [](const mg::AppliedMigration& m) {
            print_line(fmt::format("{} {} ({} ms)",
                                   m.direction == mg::Direction::up ? "applied" : "reverted",
                                   m.name, m.duration.count()));
        };
    options.on_notice = [&context](std::string_view text) { note(context, text); };
    options.on_lock_wait = [](std::string_view text) {
        fmt::print(stderr, "edgesync: {}\n", text);
    };
    return std::make_unique<mg::Migrator>(std::move(options));
}

void print_run(const Context& context, const mg::RunResult& result) {
    if (context.json) {
        json applied = json::array();
        for (const auto& m : result.applied)
            applied.push_back({{"version", m.version},
                               {"name", m.name},
                               {"direction", mg::to_string(m.direction)},
                               {"duration_ms", m.duration.count()}});
        json doc = version_json(result.after);
        doc["applied"] = std::move(applied);
        print_json(doc);
        return;
    }
    print_line(fmt::format("{}database version: {}", result.applied.empty() ? "no change, " : "",
                           mg::describe(result.after)));
}

// Asks before anything is reverted (unless --yes); never waits without a TTY.
void confirm_reverts(const Context& context, const Target& target,
                     const std::vector<mg::Step>& steps, bool yes) {
    std::vector<std::string> names;
    for (const auto& s : steps)
        if (s.direction == mg::Direction::down) names.push_back(s.migration.name);
    if (names.empty()) return;
    const auto action =
        fmt::format("revert {} migration{} ({}) on {}", names.size(), names.size() == 1 ? "" : "s",
                    fmt::join(names, ", "), mg::redact_database_url(target.database_url));
    if (!confirm(context, action, yes)) throw Error("aborted: nothing was reverted");
}

ExitCode migrate_up(const Context& context, const Target& target, const UpArgs& args) {
    print_run(context, open(context, target)->up(args.count));
    return ExitCode::ok;
}

ExitCode migrate_down(const Context& context, const Target& target, const DownArgs& args) {
    if (args.all == args.count.has_value())
        throw UsageError(args.all ? "down takes N or --all, not both"
                                  : "down needs N (how many to revert) or --all");
    auto migrator = open(context, target);
    confirm_reverts(context, target, migrator->plan_down(args.count), args.yes);
    print_run(context, migrator->down(args.count));
    return ExitCode::ok;
}

ExitCode migrate_goto(const Context& context, const Target& target, const GotoArgs& args) {
    auto migrator = open(context, target);
    confirm_reverts(context, target, migrator->plan_goto(args.version), args.yes);
    print_run(context, migrator->goto_version(args.version));
    return ExitCode::ok;
}

ExitCode migrate_version(const Context& context, const Target& target) {
    const auto v = open(context, target)->version();
    if (context.json)
        print_json(version_json(v));
    else
        print_line(mg::describe(v));
    return ExitCode::ok;
}

ExitCode migrate_force(const Context& context, const Target& target,
                       std::optional<std::int64_t> version) {
    const auto v = open(context, target)->force(version);
    if (context.json)
        print_json(version_json(v));
    else
        print_line(fmt::format("database version forced to {}", mg::describe(v)));
    return ExitCode::ok;
}

ExitCode migrate_status(const Context& context, const Target& target) {
    const auto status = open(context, target)->status();
    const auto state_of = [&](const mg::MigrationStatus& m) -> const char* {
        if (status.version.dirty && status.version.version == m.migration.version) return "dirty";
        return m.applied ? "applied" : "pending";
    };
    if (context.json) {
        json files = json::array();
        for (const auto& m : status.migrations)
            files.push_back({{"version", m.migration.version},
                             {"name", m.migration.name},
                             {"state", state_of(m)},
                             {"has_down", m.migration.down.has_value()}});
        json doc = version_json(status.version);
        doc["path"] = target.dir.string();
        doc["migrations"] = std::move(files);
        print_json(doc);
        return ExitCode::ok;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& m : status.migrations)
        rows.push_back({std::to_string(m.migration.version), m.migration.name, state_of(m),
                        m.migration.down ? "yes" : "no"});
    fmt::print("{}", format_table({"VERSION", "NAME", "STATE", "DOWN"}, rows));
    print_line(fmt::format("database version: {}", mg::describe(status.version)));
    if (!status.version_has_file)
        fmt::print(stderr, "edgesync: warning: no file in {} has the database's version\n",
                   target.dir.string());
    return ExitCode::ok;
}

ExitCode migrate_create(const Context& context, const Target& target, const std::string& name) {
    const auto created = mg::create_migration(target.dir, name);
    if (context.json) {
        print_json({{"version", created.version},
                    {"up", created.up.string()},
                    {"down", created.down.string()}});
    } else {
        print_line(fmt::format("created {}", created.up.string()));
        print_line(fmt::format("created {}", created.down.string()));
    }
    return ExitCode::ok;
}

std::optional<std::size_t> count_of(const Invocation& inv) {
    const auto n = inv.integer("N", 1, k_max);
    return n ? std::optional<std::size_t>(static_cast<std::size_t>(*n)) : std::nullopt;
}

const OptionSpec k_yes{.names = "-y,--yes", .help = "Do not ask for confirmation"};

}  // namespace

GroupSpec migrate_group() {
    const auto db = [](const Invocation& inv) { return target_of(inv.context(), true); };
    return GroupSpec{
        .name = "migrate",
        .help = "Apply or revert schema migrations (golang-migrate compatible)",
        .options = {{.names = "--path",
                     .help = "Migrations directory (env MIGRATIONS_PATH; default: "
                             "<exe dir>/../share/edgesync/migrations if present, else the "
                             "source tree's migrations/)",
                     .takes_value = true,
                     .value_name = "DIR",
                     .config_key = "MIGRATIONS_PATH"}},
        .commands = {
            {.name = "up",
             .help = "Apply all pending migrations, or the next N",
             .args = {{.name = "N", .help = "How many to apply"}},
             .run =
                 [db](const Invocation& inv) {
                     return migrate_up(inv.context(), db(inv), UpArgs{count_of(inv)});
                 }},
            {.name = "down",
             .help = "Revert the last N migrations, or all with --all (asks first)",
             .args = {{.name = "N", .help = "How many to revert"}},
             .options = {{.names = "--all", .help = "Revert every applied migration"}, k_yes},
             .run =
                 [db](const Invocation& inv) {
                     return migrate_down(inv.context(), db(inv),
                                         DownArgs{count_of(inv), inv.flag("all"), inv.flag("yes")});
                 }},
            {.name = "goto",
             .help = "Migrate up or down to version V (asks before reverting)",
             .args = {{.name = "V", .help = "Target version", .required = true}},
             .options = {k_yes},
             .run =
                 [db](const Invocation& inv) {
                     return migrate_goto(inv.context(), db(inv),
                                         GotoArgs{*inv.integer("V", 0, k_max), inv.flag("yes")});
                 }},
            {.name = "version",
             .help = "Print the database's version (and whether it is dirty)",
             .run =
                 [db](const Invocation& inv) { return migrate_version(inv.context(), db(inv)); }},
            {.name = "force",
             .help = "Set the version (-1: none) and clear dirty, running nothing",
             .args = {{.name = "V", .help = "Version to record, or -1", .required = true}},
             .run =
                 [db](const Invocation& inv) {
                     const auto v = *inv.integer("V", -1, k_max);
                     return migrate_force(inv.context(), db(inv),
                                          v < 0 ? std::nullopt : std::optional(v));
                 }},
            {.name = "status",
             .help = "List migrations as applied or pending, and the database's version",
             .run = [db](const Invocation& inv) { return migrate_status(inv.context(), db(inv)); }},
            {.name = "create",
             .help = "Write the next-numbered empty NAME.up.sql / NAME.down.sql pair",
             .args = {{.name = "NAME", .help = "Letters, digits, '_' or '-'", .required = true}},
             .run =
                 [](const Invocation& inv) {
                     return migrate_create(inv.context(), target_of(inv.context(), false),
                                           *inv.value("NAME"));
                 }},
        }};
}

}  // namespace edgesync::cli
