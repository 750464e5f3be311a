// Conditional PUT /v1/states/{key} per second through a running
// edgesync-server (HTTP/1.1 keep-alive, one blocking socket per client),
// beside the repository layer and pgbench running the same SQL
// (es_write_state) at the same concurrency on the same Postgres. Prints
// figures and the ratio server / pgbench; asserts nothing.
//
// Starts nothing: scripts/bench.sh starts Postgres, Redis and the server and
// passes --url. Every client has its own account (writes never contend on an
// account row) and its own key, and sends If-Match with the version it got.
#include <dirent.h>
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "bench/bench_http.hpp"
#include "shared/config/config.hpp"
#include "shared/db/pg_pool.hpp"
#include "shared/repositories/pg_state_repository.hpp"
#include "shared/util/bytes.hpp"
#include "shared/util/error.hpp"

namespace {

using namespace edgesync;
using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;

constexpr std::size_t k_blob_bytes = 1024;

// ---- CPU accounting from /proc: robust against other load on the machine,
// where writes/s is not. Microseconds of user + system time.

struct ProcTimes {
    std::int64_t self_us = 0;      // utime + stime
    std::int64_t children_us = 0;  // cutime + cstime (reaped children)
    long ppid = 0;
};

std::optional<ProcTimes> proc_times(long pid) {
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    // The command name (field 2) may hold spaces: parse after its ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(line.substr(close + 2));
    std::vector<std::string> f;  // f[0] = field 3 (state)
    for (std::string x; fields >> x && f.size() < 16;) f.push_back(x);
    if (f.size() < 16) return std::nullopt;
    const double us_per_tick = 1e6 / static_cast<double>(::sysconf(_SC_CLK_TCK));
    const auto us = [&](std::size_t i) {
        return static_cast<std::int64_t>(std::stod(f[i]) * us_per_tick);
    };
    return ProcTimes{us(11) + us(12), us(13) + us(14), std::stol(f[1])};
}

// CPU of a process (0 when none given or gone).
std::int64_t process_cpu_us(long pid) {
    if (pid <= 0) return 0;
    const auto t = proc_times(pid);
    return t ? t->self_us : 0;
}

// CPU of a process tree one level deep (Postgres: the postmaster, its live
// backends, and the exited ones it reaped).
std::int64_t tree_cpu_us(long parent) {
    const auto root = proc_times(parent);
    if (!root) return 0;
    std::int64_t total = root->self_us + root->children_us;
    DIR* dir = ::opendir("/proc");
    if (dir == nullptr) return total;
    while (const dirent* e = ::readdir(dir)) {
        char* end = nullptr;
        const long pid = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0') continue;
        if (const auto t = proc_times(pid); t && t->ppid == parent) total += t->self_us;
    }
    ::closedir(dir);
    return total;
}

struct CpuSample {
    std::int64_t server_us = 0;
    std::int64_t postgres_us = 0;
};

struct CpuMeter {
    long server_pid = 0;
    long postmaster_pid = 0;
    [[nodiscard]] CpuSample sample() const {
        return {process_cpu_us(server_pid), tree_cpu_us(postmaster_pid)};
    }
};

// The postmaster: the parent of our own backend.
long postmaster_pid(const std::string& url) {
    pqxx::connection c(url);
    pqxx::nontransaction tx(c);
    const long backend = tx.exec1("SELECT pg_backend_pid()")[0].as<long>();
    const auto t = proc_times(backend);
    return t ? t->ppid : 0;  // 0: Postgres on another machine, not measured
}

using bench::Connection;
using bench::Endpoint;

// A new account over the API; returns its access token.
std::string sign_up(const Endpoint& ep, int n) {
    return bench::sign_up(ep, fmt::format("bench-puts-{}-{}@edgesync.invalid", ::getpid(), n),
                          /*register_first=*/true)
        .access_token;
}

struct ServerFigures {
    double puts_per_second = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    long failures = 0;
    double server_us_per_put = 0;
    double postgres_us_per_put = 0;
};

ServerFigures run_server(const Endpoint& ep, const std::vector<std::string>& tokens,
                         Seconds duration, int round, const CpuMeter& cpu) {
    const std::string body = nlohmann::json{
        {"state", base64_encode(Bytes(k_blob_bytes, 0xA5))},
        {"nonce", base64_encode(Bytes(
                      24, 7))}}.dump();
    std::atomic<bool> stop{false};
    std::atomic<long> failures{0};
    std::vector<std::vector<double>> latencies(tokens.size());
    std::vector<long> done(tokens.size(), 0);
    std::vector<std::thread> clients;
    std::atomic<int> ready{0};
    std::mutex error_mutex;
    std::string error;  // guarded by error_mutex
    Clock::time_point start;
    for (std::size_t i = 0; i < tokens.size(); ++i)
        clients.emplace_back([&, i] {
            try {
                Connection c(ep);
                const std::string auth = fmt::format(
                    "Authorization: Bearer {}\r\nContent-Type: application/json\r\n", tokens[i]);
                const std::string target =
                    fmt::format("/v1/states/bench-{}-{}-{}", ::getpid(), round, i);
                auto r = c.send("PUT", target, auth + "If-None-Match: *\r\n", body);
                if (r.status != 201)
                    throw Error(fmt::format("bench: create: {} {}", r.status, r.body));
                std::string etag = r.etag;
                latencies[i].reserve(200'000);
                ready.fetch_add(1);
                while (ready.load() < static_cast<int>(tokens.size())) std::this_thread::yield();
                while (!stop.load(std::memory_order_relaxed)) {
                    const auto t0 = Clock::now();
                    r = c.send("PUT", target, auth + "If-Match: " + etag + "\r\n", body);
                    latencies[i].push_back(
                        std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
                    if (r.status == 200) {
                        etag = r.etag;
                        ++done[i];
                    } else {
                        failures.fetch_add(1);
                    }
                }
            } catch (const std::exception& e) {
                const std::lock_guard lock(error_mutex);
                if (error.empty()) error = e.what();
                stop = true;
                ready.fetch_add(1);  // never leave the others waiting
            }
        });
    while (ready.load() < static_cast<int>(tokens.size())) std::this_thread::yield();
    start = Clock::now();
    const auto before = cpu.sample();
    std::this_thread::sleep_for(duration);
    stop = true;
    for (auto& t : clients) t.join();
    const auto after = cpu.sample();
    const double elapsed = Seconds(Clock::now() - start).count();
    if (!error.empty()) throw Error(error);

    std::vector<double> all;
    long total = 0;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        all.insert(all.end(), latencies[i].begin(), latencies[i].end());
        total += done[i];
    }
    std::sort(all.begin(), all.end());
    const auto pct = [&](double p) {
        return all.empty()
                   ? 0.0
                   : all[std::min(all.size() - 1,
                                  static_cast<std::size_t>(p * static_cast<double>(all.size())))];
    };
    // Every request sent counts for CPU (failures too; there should be none).
    const auto requests = static_cast<double>(std::max<std::size_t>(all.size(), 1));
    return {static_cast<double>(total) / elapsed,
            pct(0.50),
            pct(0.99),
            failures.load(),
            static_cast<double>(after.server_us - before.server_us) / requests,
            static_cast<double>(after.postgres_us - before.postgres_us) / requests};
}

// ---- The same writes without HTTP: as bench_state_writes (per-account workload).

std::string account_id(int n) { return fmt::format("00000000-0000-4000-8000-1000{:08}", n); }
std::string device_id(int n) { return fmt::format("00000000-0000-4000-9000-1000{:08}", n); }

void setup_accounts(const std::string& url, int clients) {
    pqxx::connection c(url);
    pqxx::work w(c);
    w.exec("DELETE FROM accounts WHERE email LIKE 'bench-pg-%@edgesync.invalid'");
    for (int i = 1; i <= clients; ++i) {
        w.exec_params("INSERT INTO accounts (id, email, password_hash) VALUES ($1, $2, 'x')",
                      account_id(i), fmt::format("bench-pg-{}@edgesync.invalid", i));
        w.exec_params(
            "INSERT INTO devices (id, account_id, name, device_type) VALUES ($1, $2, 'bench', "
            "'server')",
            device_id(i), account_id(i));
    }
    w.commit();
}

void create_keys(StateRepository& repo, int clients, const std::string& prefix) {
    for (int i = 1; i <= clients; ++i) {
        StateWrite w{account_id(i), device_id(i), fmt::format("{}-{}", prefix, i),
                     Precondition::create(), PutState{Bytes(k_blob_bytes, 0xA5), Bytes(24, 7)}};
        if (!repo.write(w)) throw Error("bench: could not create key " + w.key);
    }
}

double run_repository(PgStateRepository& repo, int clients, Seconds duration, int round) {
    const auto prefix = fmt::format("repo-{}", round);
    create_keys(repo, clients, prefix);
    std::atomic<bool> stop{false};
    std::atomic<long> done{0};
    std::vector<std::thread> pool;
    const auto start = Clock::now();
    for (int i = 1; i <= clients; ++i)
        pool.emplace_back([&, i] {
            StateWrite w{account_id(i), device_id(i), fmt::format("{}-{}", prefix, i),
                         Precondition::if_version(1),
                         PutState{Bytes(k_blob_bytes, 0xA5), Bytes(24, 7)}};
            long n = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                auto r = repo.write(w);
                if (r) {
                    w.precondition = Precondition::if_version(r->version);
                    ++n;
                } else if (r.error().current) {
                    w.precondition.version = r.error().current->version;
                }
            }
            done.fetch_add(n);
        });
    std::this_thread::sleep_for(duration);
    stop = true;
    for (auto& t : pool) t.join();
    return static_cast<double>(done) / Seconds(Clock::now() - start).count();
}

struct PgbenchFigures {
    double tps = 0;
    double postgres_us_per_tx = 0;
};

PgbenchFigures run_pgbench(const std::string& url, int clients, Seconds duration,
                           PgStateRepository& repo, int round, const CpuMeter& cpu) {
    create_keys(repo, clients, fmt::format("pgb-{}", round));
    const auto dir = std::filesystem::temp_directory_path() / "edgesync-bench";
    std::filesystem::create_directories(dir);
    const auto script = dir / "server-puts.sql";
    {
        std::ofstream out(script);
        out << "\\set n :client_id + 1\n"
            << "SELECT new_version AS v FROM es_write_state("
            << "('00000000-0000-4000-8000-1000' || lpad(:n::text, 8, '0'))::uuid, "
            << "('00000000-0000-4000-9000-1000' || lpad(:n::text, 8, '0'))::uuid, "
            << "'pgb-' || :r::text || '-' || :n::text, :v, false, :blob, :nonce)\n"
            << "\\gset\n";
    }
    const std::string cmd = fmt::format(
        "pgbench -n -M prepared -c {} -j 2 -T {} -D r={} -D v=1 -D blob='\\x{}' -D nonce='\\x{}' "
        "-f {} "
        "'{}' 2>&1",
        clients, static_cast<int>(duration.count()), round, hex_encode(Bytes(k_blob_bytes, 0xA5)),
        hex_encode(Bytes(24, 7)), script.string(), url);
    const auto before = cpu.sample();
    std::FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) throw Error("bench: cannot run pgbench");
    std::string output;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p) != nullptr) output += buf;
    const int rc = ::pclose(p);
    const auto after = cpu.sample();
    std::smatch m;
    static const std::regex k_tps(R"(tps = ([0-9.]+) \(without initial connection time\))");
    if (rc != 0 || !std::regex_search(output, m, k_tps))
        throw Error("bench: pgbench failed:\n" + output);
    // The transactions pgbench ran, whatever their duration (it reports them).
    static const std::regex k_done(R"(number of transactions actually processed: ([0-9]+))");
    std::smatch d;
    const double txs = std::regex_search(output, d, k_done) ? std::stod(d[1]) : 0.0;
    return {std::stod(m[1]),
            txs > 0 ? static_cast<double>(after.postgres_us - before.postgres_us) / txs : 0.0};
}

}  // namespace

int main(int argc, char** argv) try {
    CLI::App app{"bench_server_puts: conditional PUT /v1/states/{key} per second vs pgbench"};
    std::string url;
    std::string database_url;
    int clients = 32;
    int seconds = 10;
    int rounds = 3;
    long server_pid = 0;
    app.add_option("--url", url, "The running server, http://HOST:PORT")->required();
    app.add_option("--database-url", database_url, "Its Postgres (default: DATABASE_URL)");
    app.add_option("--clients", clients, "HTTP clients = writer threads = pgbench clients")
        ->check(CLI::Range(1, 256));
    app.add_option("--seconds", seconds, "Duration of each measurement")->check(CLI::Range(1, 600));
    app.add_option("--rounds", rounds, "Rounds of (server, repository, pgbench); medians")
        ->check(CLI::Range(1, 99));
    app.add_option("--server-pid", server_pid,
                   "The server's process id: its CPU time per PUT is reported");
    CLI11_PARSE(app, argc, argv);
    if (database_url.empty()) database_url = Config::load({}).database_url();
    const auto ep = bench::parse_url(url);

    fmt::print(
        "conditional writes, 1 KiB blobs, {} clients, one account each, {} round(s) of {} s each\n",
        clients, rounds, seconds);
    std::fflush(stdout);
    std::vector<std::string> tokens;
    for (int i = 0; i < clients; ++i) tokens.push_back(sign_up(ep, i));
    setup_accounts(database_url, clients);
    PgPool pool(PgPool::Options{.url = database_url, .size = static_cast<std::size_t>(clients)});
    PgStateRepository repo(pool);
    const CpuMeter cpu{server_pid, postmaster_pid(database_url)};
    fmt::print(stderr, "bench: {} accounts signed up; measuring\n", clients);

    // Rounds alternate the three paths, so a change in the machine's load
    // (it is shared) hits all of them; the figures are medians over rounds.
    std::vector<ServerFigures> server;
    std::vector<double> repo_tps, pg_tps, pg_us_per_tx;
    for (int r = 0; r < rounds; ++r) {
        server.push_back(run_server(ep, tokens, Seconds(seconds), r, cpu));
        repo_tps.push_back(run_repository(repo, clients, Seconds(seconds), r));
        const auto pgb = run_pgbench(database_url, clients, Seconds(seconds), repo, r, cpu);
        pg_tps.push_back(pgb.tps);
        pg_us_per_tx.push_back(pgb.postgres_us_per_tx);
        fmt::print(
            "round {}: server {:.0f} PUT/s (p50 {:.2f} ms, p99 {:.2f} ms), repository "
            "{:.0f}/s, pgbench {:.0f} tps, server/pgbench {:.2f}; CPU per write: server {:.0f} "
            "us, Postgres {:.0f} us (under pgbench {:.0f} us)\n",
            r + 1, server.back().puts_per_second, server.back().p50_ms, server.back().p99_ms,
            repo_tps.back(), pg_tps.back(), server.back().puts_per_second / pg_tps.back(),
            server.back().server_us_per_put, server.back().postgres_us_per_put,
            pg_us_per_tx.back());
        std::fflush(stdout);
    }
    const auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    std::vector<double> puts, p50, p99, server_us, pg_us;
    long failures = 0;
    for (const auto& f : server) {
        puts.push_back(f.puts_per_second);
        p50.push_back(f.p50_ms);
        p99.push_back(f.p99_ms);
        server_us.push_back(f.server_us_per_put);
        pg_us.push_back(f.postgres_us_per_put);
        failures += f.failures;
    }
    const double server_tps = median(puts);
    fmt::print("{:<22} {:>10} {:>9} {:>9}   (medians of {} rounds)\n", "path", "writes/s", "p50 ms",
               "p99 ms", rounds);
    fmt::print("{:<22} {:>10.0f} {:>9.2f} {:>9.2f}\n", "server PUT (HTTP)", server_tps, median(p50),
               median(p99));
    fmt::print("{:<22} {:>10.0f}\n", "repository", median(repo_tps));
    fmt::print("{:<22} {:>10.0f}\n", "pgbench", median(pg_tps));
    fmt::print("ratio server/pgbench {:.2f} (goal >= 0.7), server/repository {:.2f}\n",
               server_tps / median(pg_tps), server_tps / median(repo_tps));
    fmt::print(
        "CPU per write (medians): server {:.0f} us/PUT{}, Postgres {:.0f} us/PUT, Postgres under "
        "pgbench {:.0f} us/tx\n",
        median(server_us), server_pid > 0 ? "" : " (no --server-pid)", median(pg_us),
        median(pg_us_per_tx));
    double load[3] = {0, 0, 0};
    if (::getloadavg(load, 3) == 3)
        fmt::print("load average {:.2f} {:.2f} {:.2f}\n", load[0], load[1], load[2]);
    if (failures > 0) fmt::print(stderr, "bench: {} PUTs failed\n", failures);
    return 0;
} catch (const std::exception& e) {
    fmt::print(stderr, "bench_server_puts: error: {}\n", e.what());
    return 1;
}
