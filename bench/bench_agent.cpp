// Two edgesync-agent daemons (A and B, temp folders) syncing through a running
// edgesync-server, measured the way bench/syncthing_bench.sh measures two
// Syncthing instances: files written on A, wall time from the end of the write
// until B holds every file with identical content (B's folder polled on disk),
// CPU seconds of both agents; then, given the Syncthing script's JSON results,
// the ratios agent / Syncthing. Asserts nothing.
//
// Phases (the script's letters): a) N_A new files of SIZE_A, b) N_B new files
// of SIZE_B, d) N_MOD files of phase a overwritten, e) N_LAT sequential edits
// of one small file (each waited for on B, LAT_GAP apart), idle) a tree of
// N_IDLE files synced, then VmRSS of both idle agents. Phase c (one 100 MiB
// file) does not apply: the agent skips files over the server's max blob size
// (MAX_BLOB_BYTES, 4 MiB by default; chunked transfer is not built).
//
// Starts no server: scripts/bench.sh starts Postgres, Redis and the server and
// passes --url. The agents are enrolled with `edgesync-agent enroll` (A first,
// with a recovery passphrase; B through the passphrase) and run with `run`.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_http.hpp"
#include "shared/util/error.hpp"

extern char** environ;

namespace {

using namespace edgesync;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;

struct Options {
    std::string url;
    std::string agent;
    std::string phases = "a,b,d,e";
    std::size_t n_a = 1000, size_a = 4096, n_b = 10000, size_b = 1024, n_mod = 100, n_lat = 20;
    std::size_t n_idle = 100000, size_idle = 128;
    double lat_gap_s = 1.5;
    double phase_timeout_s = 600;
    std::string syncthing_json;     // watch-mode results of syncthing_bench.sh
    std::string syncthing_cs_json;  // the same with CASE_SENSITIVE_FS=true
    std::string json_out;
    std::string report_from;  // print the table from an earlier run's --json-out
    std::string agent_log_level = "info";
    bool keep = false;
};

std::string random_bytes(std::mt19937_64& rng, std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; i += 8) {
        const auto v = rng();
        std::memcpy(s.data() + i, &v, std::min<std::size_t>(8, n - i));
    }
    return s;
}

void write_file(const fs::path& p, const std::string& content) {
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error("bench: cannot write " + p.string());
    const auto n = ::write(fd, content.data(), content.size());
    ::close(fd);
    if (n != static_cast<ssize_t>(content.size())) throw Error("bench: short write " + p.string());
}

std::optional<std::string> read_file(const fs::path& p) {
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string s;
    char buf[65536];
    for (;;) {
        const auto n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        s.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return s;
}

// A child process with stdout/stderr appended to `log`; killed (TERM) when destroyed.
class Child {
  public:
    Child(const std::vector<std::string>& args, const fs::path& log) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        const int rc = ::posix_spawn(&m_pid, argv[0], &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) throw Error("bench: cannot start " + args[0]);
    }
    ~Child() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGTERM);
            (void)wait();
        }
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    [[nodiscard]] pid_t pid() const { return m_pid; }
    int wait() {
        int status = 0;
        ::waitpid(m_pid, &status, 0);
        m_pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    [[nodiscard]] bool alive() const { return m_pid > 0 && ::waitpid(m_pid, nullptr, WNOHANG) == 0; }

  private:
    pid_t m_pid = -1;
};

struct Side {
    std::string name;
    fs::path state, dir, log;
    std::unique_ptr<Child> run;
};

class Bench {
  public:
    explicit Bench(Options o) : m_o(std::move(o)) {
        m_root = fs::temp_directory_path() / fmt::format("agentbench.{}", ::getpid());
        fs::create_directories(m_root);
        for (const char* n : {"a", "b"}) {
            Side s{n, m_root / n / "state", m_root / n / "data", m_root / n / "agent.log", {}};
            fs::create_directories(s.dir);
            m_sides.push_back(std::move(s));
        }
    }
    ~Bench() {
        for (auto& s : m_sides) s.run.reset();
        if (!m_o.keep) {
            std::error_code ec;
            fs::remove_all(m_root, ec);
        } else {
            fmt::print(stderr, "kept {}\n", m_root.string());
        }
    }

    void setup() {
        const auto ep = bench::parse_url(m_o.url);
        const std::string email = fmt::format("bench-agent-{}@edgesync.invalid", ::getpid());
        (void)bench::sign_up(ep, email, true);
        const auto pw = m_root / "password";
        const auto pp = m_root / "passphrase";
        write_file(pw, "bench password 0123456789\n");
        write_file(pp, "bench recovery passphrase 0123\n");
        for (auto& s : m_sides) {
            Child enroll({m_o.agent, "--state-dir", s.state.string(), "enroll", "--server", m_o.url,
                          "--email", email, "--password-file", pw.string(), "--dir",
                          s.dir.string(), "--name", "bench-" + s.name,
                          "--recovery-passphrase-file", pp.string()},
                         s.log);
            if (const int rc = enroll.wait(); rc != 0)
                throw Error(fmt::format("bench: enroll {} exited {} (see {})", s.name, rc,
                                        s.log.string()));
        }
        for (auto& s : m_sides)
            s.run = std::make_unique<Child>(
                std::vector<std::string>{m_o.agent, "--log-level", m_o.agent_log_level,
                                         "--state-dir", s.state.string(), "run"}, s.log);
        settle();
        log("agents A (pid {}) and B (pid {}) running and idle", a().run->pid(), b().run->pid());
    }

    void run_phases() {
        std::mt19937_64 rng(std::random_device{}());
        for (const auto& ph : split(m_o.phases)) {
            if (ph == "a") bulk("a", m_o.n_a, m_o.size_a, rng);
            else if (ph == "b") bulk("b", m_o.n_b, m_o.size_b, rng);
            else if (ph == "d") modify(rng);
            else if (ph == "e") latency();
            else if (ph == "idle") idle(rng);
            else if (ph == "c") log("phase c: not applicable (files over MAX_BLOB_BYTES are skipped)");
            else throw Error("bench: unknown phase " + ph);
        }
    }

    void report() const;
    // Results of an earlier run (its --json-out) instead of running phases.
    void load_results(const std::string& path) {
        std::ifstream in(path);
        const auto j = nlohmann::json::parse(in, nullptr, false);
        if (j.is_discarded() || !j.contains("results")) throw Error("bench: no results in " + path);
        m_results = j["results"];
    }

  private:
    Side& a() { return m_sides[0]; }
    Side& b() { return m_sides[1]; }

    template <typename... Args>
    static void log(fmt::format_string<Args...> f, Args&&... args) {
        fmt::print(stderr, "[bench_agent] {}\n", fmt::format(f, std::forward<Args>(args)...));
    }
    static std::vector<std::string> split(const std::string& s) {
        std::vector<std::string> out;
        std::stringstream in(s);
        for (std::string x; std::getline(in, x, ',');)
            if (!x.empty()) out.push_back(x);
        return out;
    }
    void check_alive() {
        for (auto& s : m_sides)
            if (!s.run->alive())
                throw Error(fmt::format("bench: agent {} died (see {})", s.name, s.log.string()));
    }
    nlohmann::json status(const Side& s) {
        std::ifstream in(s.state / "status.json");
        return nlohmann::json::parse(in, nullptr, false);
    }
    bool idle_now(const Side& s) {
        const auto j = status(s);
        return j.is_object() && j.value("state", "") == "idle" && j.value("pending_up", 1) == 0 &&
               j.value("pending_down", 1) == 0;
    }
    // Both agents idle (status.json) three times in a row, 200 ms apart.
    void settle() {
        const auto deadline = Clock::now() + std::chrono::seconds(120);
        for (int ok = 0; ok < 3;) {
            check_alive();
            ok = idle_now(a()) && idle_now(b()) ? ok + 1 : 0;
            if (Clock::now() > deadline) throw Error("bench: agents did not settle");
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    // The poll interval: max(50 ms, elapsed / 100), at most 1 s (as the script).
    static void poll_nap(Clock::time_point t0) {
        auto iv = (Clock::now() - t0) / 100;
        iv = std::clamp<Clock::duration>(iv, std::chrono::milliseconds(50), std::chrono::seconds(1));
        std::this_thread::sleep_for(iv);
    }
    // Waits until every file of `want` (relative to B's folder) has its content.
    Clock::time_point wait_files(Clock::time_point t0, const std::map<fs::path, std::string>& want) {
        const auto deadline = t0 + std::chrono::duration_cast<Clock::duration>(
                                       Seconds(m_o.phase_timeout_s));
        auto pending = want.begin();  // everything before it matched already
        for (;;) {
            while (pending != want.end()) {
                const auto got = read_file(b().dir / pending->first);
                if (!got || *got != pending->second) break;
                ++pending;
            }
            const auto t = Clock::now();
            if (pending == want.end()) {
                // Files matched earlier could have changed since: check all once more.
                bool all = true;
                for (const auto& [p, c] : want)
                    if (read_file(b().dir / p) != c) all = false;
                if (all) return t;
                pending = want.begin();
            }
            if (t > deadline)
                throw Error(fmt::format("bench: phase timeout, B lacks {}",
                                        pending->first.string()));
            check_alive();
            poll_nap(t0);
        }
    }
    struct Cpu {
        double a = 0, b = 0;
    };
    Cpu cpu() { return {bench::cpu_seconds(a().run->pid()), bench::cpu_seconds(b().run->pid())}; }

    void record(const std::string& key, Clock::time_point t0, Clock::time_point t1,
                Clock::time_point done, Cpu c0) {
        const Cpu c1 = cpu();
        m_results[key] = {{"write_s", Seconds(t1 - t0).count()},
                          {"sync_s", Seconds(done - t1).count()},
                          {"total_s", Seconds(done - t0).count()},
                          {"cpuA_s", c1.a - c0.a},
                          {"cpuB_s", c1.b - c0.b}};
        log("phase {}: write {:.3f}s, sync {:.3f}s", key, Seconds(t1 - t0).count(),
            Seconds(done - t1).count());
    }

    void bulk(const std::string& key, std::size_t n, std::size_t size, std::mt19937_64& rng) {
        const std::string sub = "watch_" + key;
        std::map<fs::path, std::string> want;
        for (std::size_t i = 0; i < n; ++i)
            want[fs::path(sub) / fmt::format("f{:05}", i)] = random_bytes(rng, size);
        ::sync();
        settle();
        log("phase {}: {} x {} B -> {}", key, n, size, sub);
        const Cpu c0 = cpu();
        const auto t0 = Clock::now();
        fs::create_directories(a().dir / sub);
        for (const auto& [p, c] : want) write_file(a().dir / p, c);
        const auto t1 = Clock::now();
        record(key, t0, t1, wait_files(t1, want), c0);
        if (key == "a") m_phase_a = std::move(want);
    }

    void modify(std::mt19937_64& rng) {
        if (m_phase_a.size() < m_o.n_mod) throw Error("bench: phase d needs phase a before it");
        std::map<fs::path, std::string> want;
        for (const auto& [p, c] : m_phase_a) {
            if (want.size() == m_o.n_mod) break;
            want[p] = random_bytes(rng, c.size());
        }
        ::sync();
        settle();
        log("phase d: modify {} files", want.size());
        const Cpu c0 = cpu();
        const auto t0 = Clock::now();
        for (const auto& [p, c] : want) write_file(a().dir / p, c);
        const auto t1 = Clock::now();
        record("d", t0, t1, wait_files(t1, want), c0);
    }

    void latency() {
        const fs::path rel = fs::path("watch_e") / "lat.txt";
        fs::create_directories(a().dir / "watch_e");
        write_file(a().dir / rel, "init\n");
        (void)wait_files(Clock::now(), {{rel, "init\n"}});
        settle();
        log("phase e: {} single-file edits", m_o.n_lat);
        std::vector<double> lat;
        std::mt19937 rng(std::random_device{}());
        for (std::size_t i = 1; i <= m_o.n_lat; ++i) {
            const std::string content = fmt::format("edit watch {} {}\n", i, rng());
            const auto t0 = Clock::now();
            write_file(a().dir / rel, content);
            const auto deadline = t0 + std::chrono::seconds(60);
            for (;;) {
                const auto got = read_file(b().dir / rel);
                const auto t1 = Clock::now();
                if (got == content) {
                    lat.push_back(Seconds(t1 - t0).count());
                    break;
                }
                if (t1 > deadline) throw Error("bench: latency edit timed out");
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            std::this_thread::sleep_for(Seconds(m_o.lat_gap_s));
        }
        auto s = lat;
        std::sort(s.begin(), s.end());
        const std::size_t n = s.size();
        const double med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        m_results["e"] = {{"median_s", med},
                          {"min_s", s.front()},
                          {"max_s", s.back()},
                          {"p90_s", s[(n * 9 + 9) / 10 - 1]},
                          {"samples_s", lat}};
        log("phase e: median {:.3f}s (min {:.3f} max {:.3f})", med, s.front(), s.back());
    }

    void idle(std::mt19937_64& rng) {
        const std::size_t per_dir = 1000;
        std::map<fs::path, std::string> want;
        for (std::size_t i = 0; i < m_o.n_idle; ++i)
            want[fs::path("idle") / fmt::format("d{:03}", i / per_dir) / fmt::format("f{:04}", i % per_dir)] =
                random_bytes(rng, m_o.size_idle);
        ::sync();
        settle();
        log("phase idle: {} files of {} B in {} folders", m_o.n_idle, m_o.size_idle,
            (m_o.n_idle + per_dir - 1) / per_dir);
        const Cpu c0 = cpu();
        const auto t0 = Clock::now();
        for (const auto& [p, c] : want) {
            fs::create_directories(a().dir / p.parent_path());
            write_file(a().dir / p, c);
        }
        const auto t1 = Clock::now();
        record("idle_sync", t0, t1, wait_files(t1, want), c0);
        want.clear();
        settle();
        std::this_thread::sleep_for(std::chrono::seconds(5));
        m_results["idle"] = {{"files", m_o.n_idle},
                             {"rssA_mib", bench::rss_kib(a().run->pid()) / 1024.0},
                             {"rssB_mib", bench::rss_kib(b().run->pid()) / 1024.0}};
        log("phase idle: RSS A {:.1f} MiB, B {:.1f} MiB",
            m_results["idle"]["rssA_mib"].get<double>(), m_results["idle"]["rssB_mib"].get<double>());
    }

    Options m_o;
    fs::path m_root;
    std::vector<Side> m_sides;
    std::map<fs::path, std::string> m_phase_a;
    nlohmann::json m_results = nlohmann::json::object();
};

nlohmann::json load_syncthing(const std::string& path) {
    if (path.empty()) return nullptr;
    std::ifstream in(path);
    std::string line, last;
    while (std::getline(in, line))
        if (!line.empty() && line.front() == '{') last = line;
    auto j = nlohmann::json::parse(last, nullptr, false);
    if (j.is_discarded()) {
        fmt::print(stderr, "[bench_agent] no Syncthing JSON in {}\n", path);
        return nullptr;
    }
    return j["results"]["watch"];
}

void Bench::report() const {
    const auto st = load_syncthing(m_o.syncthing_json);
    const auto st_cs = load_syncthing(m_o.syncthing_cs_json);
    const auto fig = [](const nlohmann::json& r, const char* ph, const char* k) -> std::optional<double> {
        if (!r.is_object() || !r.contains(ph) || !r[ph].contains(k)) return std::nullopt;
        return r[ph][k].get<double>();
    };
    const auto num = [](std::optional<double> v) { return v ? fmt::format("{:.3f}", *v) : std::string("-"); };
    const auto ratio = [](std::optional<double> x, std::optional<double> y) {
        return x && y && *y > 0 ? fmt::format("{:.3f}", *x / *y) : std::string("-");
    };
    fmt::print("\nedgesync-agent vs Syncthing (watch mode), A -> B, sync_s = end of write on A -> "
               "content-identical on B\n");
    fmt::print("{:<26} {:>9} {:>8} {:>8} {:>11} {:>9} {:>12} {:>9}  goal\n", "phase", "agent_s",
               "cpuA_s", "cpuB_s", "syncthing_s", "ratio", "st_casesens", "ratio_cs");
    const struct {
        const char* ph;
        std::string label;
        const char* goal;
    } rows[] = {
        {"a", fmt::format("a {} x {} B new", m_o.n_a, m_o.size_a), "ratio < 0.5"},
        {"b", fmt::format("b {} x {} B new", m_o.n_b, m_o.size_b), "ratio < 0.1"},
        {"d", fmt::format("d modify {} x {} B", m_o.n_mod, m_o.size_a), "ratio < 0.5"},
        {"idle_sync", fmt::format("{} x {} B new", m_o.n_idle, m_o.size_idle), "-"},
    };
    for (const auto& r : rows) {
        const auto ours = fig(m_results, r.ph, "sync_s");
        if (!ours) continue;
        fmt::print("{:<26} {:>9} {:>8} {:>8} {:>11} {:>9} {:>12} {:>9}  {}\n", r.label, num(ours),
                   num(fig(m_results, r.ph, "cpuA_s")), num(fig(m_results, r.ph, "cpuB_s")),
                   num(fig(st, r.ph, "sync_s")), ratio(ours, fig(st, r.ph, "sync_s")),
                   num(fig(st_cs, r.ph, "sync_s")), ratio(ours, fig(st_cs, r.ph, "sync_s")), r.goal);
    }
    if (const auto med = fig(m_results, "e", "median_s")) {
        fmt::print("{:<26} median {} s (min {}, p90 {}, max {}); Syncthing median {} s; goal p50 < 0.100 s\n",
                   fmt::format("e 1-file edit (n={})", m_o.n_lat), num(med),
                   num(fig(m_results, "e", "min_s")), num(fig(m_results, "e", "p90_s")),
                   num(fig(m_results, "e", "max_s")), num(fig(st, "e", "median_s")));
    }
    fmt::print("{:<26} not applicable: files over the server's MAX_BLOB_BYTES (4 MiB default) are "
               "skipped\n", "c 1 x 100 MiB new");
    if (m_results.contains("idle"))
        fmt::print("{:<26} RSS A {:.1f} MiB, B {:.1f} MiB over {} files; goal < 64 MiB\n",
                   "idle RSS", m_results["idle"]["rssA_mib"].get<double>(),
                   m_results["idle"]["rssB_mib"].get<double>(), m_o.n_idle);
    const nlohmann::json all = {{"tool", "edgesync-agent"}, {"results", m_results},
                                {"syncthing", st}, {"syncthing_case_sensitive", st_cs}};
    if (!m_o.json_out.empty()) std::ofstream(m_o.json_out) << all.dump() << "\n";
    fmt::print("{}\n", all.dump());
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"edgesync-agent A -> B sync figures beside Syncthing's"};
    Options o;
    app.add_option("--url", o.url, "a running edgesync-server");
    app.add_option("--agent", o.agent, "the edgesync-agent binary");
    app.add_option("--phases", o.phases, "comma-separated: a,b,d,e,idle (c: not applicable)");
    app.add_option("--n-a", o.n_a);
    app.add_option("--size-a", o.size_a);
    app.add_option("--n-b", o.n_b);
    app.add_option("--size-b", o.size_b);
    app.add_option("--n-mod", o.n_mod);
    app.add_option("--n-lat", o.n_lat);
    app.add_option("--lat-gap", o.lat_gap_s, "seconds between latency edits");
    app.add_option("--n-idle", o.n_idle);
    app.add_option("--size-idle", o.size_idle);
    app.add_option("--phase-timeout", o.phase_timeout_s);
    app.add_option("--syncthing-json", o.syncthing_json, "syncthing_bench.sh output (watch mode)");
    app.add_option("--syncthing-cs-json", o.syncthing_cs_json, "the same, CASE_SENSITIVE_FS=true");
    app.add_option("--json-out", o.json_out);
    app.add_option("--report-from", o.report_from,
                   "no run: the table from an earlier --json-out and the Syncthing results");
    app.add_option("--agent-log-level", o.agent_log_level, "the agents' --log-level (logs in the temp folder)");
    app.add_flag("--keep", o.keep, "keep the temp folders");
    CLI11_PARSE(app, argc, argv);
    try {
        Bench bench(o);
        if (!o.report_from.empty()) {
            bench.load_results(o.report_from);
        } else {
            bench.setup();
            bench.run_phases();
        }
        bench.report();
    } catch (const std::exception& e) {
        fmt::print(stderr, "bench_agent: {}\n", e.what());
        return 1;
    }
    return 0;
}
