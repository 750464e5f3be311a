// Conditional PUT /v1/states/{key} per second through a running
// edgesync-server (HTTP/1.1 keep-alive, one blocking socket per client),
// beside the repository layer and pgbench running the same SQL
// (es_write_state) at the same concurrency on the same Postgres. Prints
// figures and the ratio server / pgbench; asserts nothing.
//
// Starts nothing: scripts/bench.sh starts Postgres, Redis and the server and
// passes --url. Every client has its own account (writes never contend on an
// account row) and its own key, and sends If-Match with the version it got.
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
};

ServerFigures run_server(const Endpoint& ep, const std::vector<std::string>& tokens,
                         Seconds duration, int round) {
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
    std::this_thread::sleep_for(duration);
    stop = true;
    for (auto& t : clients) t.join();
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
    return {static_cast<double>(total) / elapsed, pct(0.50), pct(0.99), failures.load()};
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

double run_pgbench(const std::string& url, int clients, Seconds duration, PgStateRepository& repo,
                   int round) {
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
    CLI::App app{"bench_server_puts: conditional PUT /v1/states/{key} per second vs pgbench"};
    std::string url;
    std::string database_url;
    int clients = 32;
    int seconds = 10;
    int rounds = 3;
    app.add_option("--url", url, "The running server, http://HOST:PORT")->required();
    app.add_option("--database-url", database_url, "Its Postgres (default: DATABASE_URL)");
    app.add_option("--clients", clients, "HTTP clients = writer threads = pgbench clients")
        ->check(CLI::Range(1, 256));
    app.add_option("--seconds", seconds, "Duration of each measurement")->check(CLI::Range(1, 600));
    app.add_option("--rounds", rounds, "Rounds of (server, repository, pgbench); medians")
        ->check(CLI::Range(1, 99));
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
    fmt::print(stderr, "bench: {} accounts signed up; measuring\n", clients);

    // Rounds alternate the three paths, so a change in the machine's load
    // (it is shared) hits all of them; the figures are medians over rounds.
    std::vector<ServerFigures> server;
    std::vector<double> repo_tps, pg_tps;
    for (int r = 0; r < rounds; ++r) {
        server.push_back(run_server(ep, tokens, Seconds(seconds), r));
        repo_tps.push_back(run_repository(repo, clients, Seconds(seconds), r));
        pg_tps.push_back(run_pgbench(database_url, clients, Seconds(seconds), repo, r));
        fmt::print(
            "round {}: server {:.0f} PUT/s (p50 {:.2f} ms, p99 {:.2f} ms), repository "
            "{:.0f}/s, pgbench {:.0f} tps, server/pgbench {:.2f}\n",
            r + 1, server.back().puts_per_second, server.back().p50_ms, server.back().p99_ms,
            repo_tps.back(), pg_tps.back(), server.back().puts_per_second / pg_tps.back());
        std::fflush(stdout);
    }
    const auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    std::vector<double> puts, p50, p99;
    long failures = 0;
    for (const auto& f : server) {
        puts.push_back(f.puts_per_second);
        p50.push_back(f.p50_ms);
        p99.push_back(f.p99_ms);
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
    if (failures > 0) fmt::print(stderr, "bench: {} PUTs failed\n", failures);
    return 0;
} catch (const std::exception& e) {
    fmt::print(stderr, "bench_server_puts: error: {}\n", e.what());
    return 1;
}
