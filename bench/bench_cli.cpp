// Wall time of whole `edgesync` runs, as an admin or a CI job sees them:
// process start, configuration, connections, the work, the output, exit.
//
//   session list  --account A --json    A has N sessions (default 10,000)
//   session purge --account A --yes     the same N sessions, seeded again before each run
//   migrate up                          on a fresh empty database each run
//
// Sessions are seeded through RedisSessionRepository::create_many (pipelined)
// and not timed. Prints the median (and min/max) of several runs beside the
// goal and the ratio median/goal; asserts nothing.
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <vector>

#include "shared/config/config.hpp"
#include "shared/db/pg_pool.hpp"
#include "shared/db/redis_pool.hpp"
#include "shared/repositories/pg_account_repository.hpp"
#include "shared/repositories/pg_device_repository.hpp"
#include "shared/repositories/redis_session_repository.hpp"
#include "shared/util/error.hpp"
#include "shared/util/uuid.hpp"

extern char** environ;

namespace {

using namespace edgesync;
using Millis = std::chrono::duration<double, std::milli>;

struct Run {
    Millis wall{};
    std::string out;
};

// Runs argv to completion, stdout captured (drained while it runs), stderr
// passed through. Throws when it cannot start or does not exit 0.
Run run(const std::vector<std::string>& args) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw Error("bench: pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    Run r;
    const auto start = std::chrono::steady_clock::now();
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (rc != 0) {
        ::close(out[0]);
        throw Error(fmt::format("bench: cannot run {}", args[0]));
    }
    char buf[65536];
    for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        r.out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.wall = std::chrono::steady_clock::now() - start;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error(fmt::format("bench: {} failed (status {})", fmt::join(args, " "), status));
    return r;
}

struct Figures {
    double median = 0, min = 0, max = 0;
};

Figures figures(std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    const auto n = ms.size();
    const double median = n % 2 == 1 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
    return {median, ms.front(), ms.back()};
}

// `url` with its database name replaced (URL or key=value conninfo).
std::string with_database(const std::string& url, const std::string& db) {
    if (!url.starts_with("postgres")) return url + " dbname=" + db;
    const auto query = url.find('?');
    const auto slash = url.rfind('/', query);
    return url.substr(0, slash + 1) + db + (query == std::string::npos ? "" : url.substr(query));
}

std::vector<Session> make_sessions(const std::string& aid, const std::string& did, int count) {
    std::vector<Session> out;
    out.reserve(static_cast<std::size_t>(count));
    const auto t = now();
    for (int i = 0; i < count; ++i) {
        Session s;
        s.id = new_uuid();
        s.account_id = aid;
        s.device_id = did;
        s.refresh_hash = fmt::format("{:064x}", i);
        s.created_at = t;
        s.expires_at = t + std::chrono::hours(24);
        s.last_used_at = t;
        s.ip = "192.0.2.10";
        s.user_agent = "bench_cli";
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) try {
    CLI::App app{"bench_cli: wall time of edgesync commands (session list/purge, migrate up)"};
    std::string cli =
        (std::filesystem::absolute(argv[0]).parent_path() / ".." / "cli" / "edgesync").string();
    std::string migrations =
        std::getenv("MIGRATIONS_PATH") ? std::getenv("MIGRATIONS_PATH") : "migrations";
    int sessions = 10'000, reps = 7;
    double goal_ms = 300;
    bool keep = false;
    app.add_option("--cli", cli, "The edgesync binary (default: ../cli/edgesync beside this one)");
    app.add_option("--migrations", migrations, "Migrations folder for `migrate up`");
    app.add_option("--sessions", sessions, "Sessions of the account")
        ->check(CLI::Range(1, 1'000'000));
    app.add_option("--reps", reps, "Runs per command")->check(CLI::Range(1, 100));
    app.add_option("--goal-ms", goal_ms, "Goal per command");
    app.add_flag("--keep", keep, "Leave the account with its sessions behind (for profiling)");
    CLI11_PARSE(app, argc, argv);

    const auto config = Config::load({});
    const auto database_url = config.database_url();
    PgPool pg(PgPool::Options{.url = database_url, .size = 1});
    RedisPool redis(parse_redis_url(config.redis_url()), RedisPool::Options{});
    PgAccountRepository accounts(pg);
    PgDeviceRepository devices(pg);
    RedisSessionRepository session_repo(redis);

    const auto account =
        accounts.create({fmt::format("bench-cli-{}@edgesync.invalid", new_uuid()), "x", {}});
    if (!account) throw Error("bench: cannot create the account");
    const auto device = devices.create({account->id, "bench", DeviceType::server, {}});
    if (!device) throw Error("bench: cannot create the device");
    const auto seed = [&] {
        const auto t0 = std::chrono::steady_clock::now();
        session_repo.create_many(make_sessions(account->id, device->id, sessions));
        return Millis(std::chrono::steady_clock::now() - t0).count();
    };

    fmt::print("edgesync: {}\naccount {} with {} sessions; {} runs per command\n", cli, account->id,
               sessions, reps);
    const double seed_ms = seed();
    fmt::print("seeding {} sessions (create_many, not timed below): {:.0f} ms\n\n", sessions,
               seed_ms);

    std::vector<std::pair<std::string, Figures>> results;
    {
        std::vector<double> ms;
        for (int i = 0; i < reps; ++i) {
            const auto r = run({cli, "--json", "session", "list", "--account", account->id});
            if (nlohmann::json::parse(r.out)["sessions"].size() !=
                static_cast<std::size_t>(sessions))
                throw Error("bench: session list returned the wrong number of sessions");
            ms.push_back(r.wall.count());
        }
        results.emplace_back(fmt::format("session list --json ({} sessions)", sessions),
                             figures(ms));
    }
    {
        std::vector<double> ms;
        for (int i = 0; i < reps; ++i) {
            if (i > 0) (void)seed();
            const auto r =
                run({cli, "--json", "session", "purge", "--account", account->id, "--yes"});
            if (nlohmann::json::parse(r.out)["sessions_ended"] != sessions)
                throw Error("bench: session purge ended the wrong number of sessions");
            ms.push_back(r.wall.count());
        }
        results.emplace_back(fmt::format("session purge --yes ({} sessions)", sessions),
                             figures(ms));
    }
    {
        std::vector<double> ms;
        pqxx::connection admin(database_url);
        for (int i = 0; i < reps; ++i) {
            const auto db = fmt::format("bench_cli_{}", new_uuid().substr(0, 8));
            pqxx::nontransaction(admin).exec("CREATE DATABASE " + db);
            const auto r = run({cli, "--database-url", with_database(database_url, db), "migrate",
                                "up", "--path", migrations});
            ms.push_back(r.wall.count());
            pqxx::nontransaction(admin).exec("DROP DATABASE " + db + " WITH (FORCE)");
        }
        results.emplace_back("migrate up (empty database)", figures(ms));
    }
    {
        std::vector<double> ms;
        for (int i = 0; i < reps; ++i) ms.push_back(run({cli, "--version"}).wall.count());
        results.emplace_back("--version (process start only)", figures(ms));
    }
    if (keep) {
        (void)seed();
        fmt::print("kept account {} with {} sessions\n", account->id, sessions);
    } else {
        (void)accounts.soft_delete(account->id);
    }

    fmt::print("{:<40} {:>10} {:>10} {:>10} {:>9} {:>7}\n", "command", "median ms", "min ms",
               "max ms", "goal ms", "ratio");
    for (const auto& [name, f] : results)
        fmt::print("{:<40} {:>10.1f} {:>10.1f} {:>10.1f} {:>9.0f} {:>7.2f}\n", name, f.median,
                   f.min, f.max, goal_ms, f.median / goal_ms);
    fmt::print("(ratio = median / goal; below 1.00 meets the goal)\n");
    return 0;
} catch (const std::exception& e) {
    fmt::print(stderr, "bench_cli: {}\n", e.what());
    return 1;
}
