// Conditional state writes per second through the repository layer, beside
// pgbench running the same SQL (es_write_state) at the same concurrency on the
// same server. Prints figures and their ratio; asserts nothing.
//
// Two workloads, each with N threads/clients and 1 KiB blobs:
//   per-account  one account per thread (writes never contend)
//   shared       every thread writes its own key of ONE account (writes of an
//                account serialise on its row: the worst case by design)
// Every write is conditional: If-Match on the version the writer last saw.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>
#include <vector>

#include "shared/config/config.hpp"
#include "shared/db/pg_pool.hpp"
#include "shared/repositories/pg_state_repository.hpp"
#include "shared/util/bytes.hpp"
#include "shared/util/error.hpp"

namespace {

using namespace edgesync;
using Seconds = std::chrono::duration<double>;

// Deterministic ids so pgbench can name the same rows as the C++ side.
std::string account_id(int n) { return fmt::format("00000000-0000-4000-8000-{:012}", n); }
std::string device_id(int n) { return fmt::format("00000000-0000-4000-9000-{:012}", n); }
constexpr int k_shared_account = 999;

struct Workload {
    std::string name;
    bool shared = false;
};

void setup(const std::string& url, int threads) {
    pqxx::connection c(url);
    pqxx::work w(c);
    w.exec("DELETE FROM accounts WHERE email LIKE 'bench-%@edgesync.invalid'");
    auto make = [&](int n) {
        w.exec_params("INSERT INTO accounts (id, email, password_hash) VALUES ($1, $2, 'x')",
                      account_id(n), fmt::format("bench-{}@edgesync.invalid", n));
        w.exec_params(
            "INSERT INTO devices (id, account_id, name, device_type) VALUES ($1, $2, 'bench', "
            "'server')",
            device_id(n), account_id(n));
    };
    for (int i = 1; i <= threads; ++i) make(i);
    make(k_shared_account);
    w.commit();
}

// Creates the keys the writers will update, at version 1.
void create_keys(StateRepository& repo, const Workload& wl, int threads, const Bytes& blob,
                 const std::string& prefix) {
    for (int i = 1; i <= threads; ++i) {
        const int acc = wl.shared ? k_shared_account : i;
        StateWrite w{account_id(acc), device_id(acc), fmt::format("{}-{}", prefix, i),
                     Precondition::create(), PutState{blob, Bytes(24, 7)}};
        if (!repo.write(w)) throw Error("bench: could not create key " + w.key);
    }
}

double run_repository(PgStateRepository& repo, const Workload& wl, int threads, Seconds duration,
                      const Bytes& blob) {
    create_keys(repo, wl, threads, blob, "repo-" + wl.name);
    std::atomic<bool> stop{false};
    std::atomic<long> done{0}, conflicts{0};
    std::vector<std::thread> pool;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 1; i <= threads; ++i) {
        pool.emplace_back([&, i] {
            const int acc = wl.shared ? k_shared_account : i;
            StateWrite w{account_id(acc), device_id(acc), fmt::format("repo-{}-{}", wl.name, i),
                         Precondition::if_version(1), PutState{blob, Bytes(24, 7)}};
            long n = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                auto r = repo.write(w);
                if (r) {
                    w.precondition = Precondition::if_version(r->version);
                    ++n;
                } else {
                    conflicts.fetch_add(1);
                    if (r.error().current) w.precondition.version = r.error().current->version;
                }
            }
            done.fetch_add(n);
        });
    }
    std::this_thread::sleep_for(duration);
    stop = true;
    for (auto& t : pool) t.join();
    const double elapsed = Seconds(std::chrono::steady_clock::now() - start).count();
    if (conflicts > 0) fmt::print(stderr, "bench: {} unexpected conflicts\n", conflicts.load());
    return static_cast<double>(done) / elapsed;
}

// pgbench with a custom script calling the same function with the same
// arguments; \gset carries each client's version to its next write.
double run_pgbench(const std::string& url, const Workload& wl, int threads, Seconds duration,
                   const Bytes& blob, PgStateRepository& repo) {
    create_keys(repo, wl, threads, blob, "pgb-" + wl.name);
    const auto dir = std::filesystem::temp_directory_path() / "edgesync-bench";
    std::filesystem::create_directories(dir);
    const auto script = dir / ("write-" + wl.name + ".sql");
    {
        std::ofstream out(script);
        const std::string acc =
            wl.shared ? fmt::format("'{}'", account_id(k_shared_account))
                      : "('00000000-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid";
        const std::string dev =
            wl.shared ? fmt::format("'{}'", device_id(k_shared_account))
                      : "('00000000-0000-4000-9000-' || lpad(:n::text, 12, '0'))::uuid";
        out << "\\set n :client_id + 1\n"
            << "SELECT new_version AS v FROM es_write_state(" << acc << ", " << dev << ", 'pgb-"
            << wl.name << "-' || :n::text, :v, false, :blob, :nonce)\n"
            << "\\gset\n";
    }
    const std::string cmd = fmt::format(
        "pgbench -n -M prepared -c {} -j 2 -T {} -D v=1 -D blob='\\x{}' -D nonce='\\x{}' -f {} "
        "'{}' 2>&1",
        threads, static_cast<int>(duration.count()), hex_encode(blob), hex_encode(Bytes(24, 7)),
        script.string(), url);
    std::FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) throw Error("bench: cannot run pgbench");
    std::string output;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p) != nullptr) output += buf;
    const int rc = ::pclose(p);
    std::smatch m;
    static const std::regex k_tps(R"(tps = ([0-9.]+) \(without initial connection time\))");
    if (rc != 0 || !std::regex_search(output, m, k_tps))
        throw Error("bench: pgbench failed:\n" + output);
    return std::stod(m[1]);
}

}  // namespace

int main(int argc, char** argv) try {
    CLI::App app{"bench_state_writes: conditional state writes/s, repository layer vs pgbench"};
    std::string url;
    int threads = 8;
    int seconds = 10;
    app.add_option("--database-url", url, "Postgres URL (default: DATABASE_URL)");
    app.add_option("--threads", threads, "Writer threads = pgbench clients")->check(CLI::Range(1, 64));
    app.add_option("--seconds", seconds, "Duration of each measurement")->check(CLI::Range(1, 600));
    CLI11_PARSE(app, argc, argv);
    if (url.empty()) url = Config::load({}).database_url();

    setup(url, threads);
    PgPool pool(PgPool::Options{.url = url, .size = static_cast<std::size_t>(threads)});
    PgStateRepository repo(pool);
    const Bytes blob(1024, 0xA5);

    fmt::print("conditional state writes, 1 KiB blobs, {} threads, {} s each\n", threads, seconds);
    fmt::print("{:<12} {:>14} {:>14} {:>8}\n", "workload", "repository/s", "pgbench tps", "ratio");
    for (const Workload& wl : {Workload{"per-account", false}, Workload{"shared", true}}) {
        const double repo_tps = run_repository(repo, wl, threads, Seconds(seconds), blob);
        const double pg_tps = run_pgbench(url, wl, threads, Seconds(seconds), blob, repo);
        fmt::print("{:<12} {:>14.0f} {:>14.0f} {:>8.2f}\n", wl.name, repo_tps, pg_tps,
                   repo_tps / pg_tps);
        std::fflush(stdout);
    }
    return 0;
} catch (const std::exception& e) {
    fmt::print(stderr, "bench_state_writes: error: {}\n", e.what());
    return 1;
}
