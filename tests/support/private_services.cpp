#include "tests/support/private_services.hpp"

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "shared/db/redis_client.hpp"
#include "shared/migrate/migrator.hpp"
#include "tests/support/run_process.hpp"
#include "tests/support/test_env.hpp"

namespace edgesync::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const fs::path k_pg_bin = "/usr/lib/postgresql/15/bin";
constexpr const char* k_db_name = "edgesync";

bool is_root() { return ::geteuid() == 0; }

// The user Postgres runs as: `postgres` for root (initdb refuses root), else ourselves.
std::string pg_user() {
    if (is_root()) return "postgres";
    const passwd* pw = ::getpwuid(::geteuid());
    if (pw == nullptr) throw std::runtime_error("private postgres: who am I?");
    return pw->pw_name;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Runs a Postgres tool as pg_user(), from / (the postgres user may not reach
// our working directory). Throws with its output when it fails.
void run_pg_tool(std::vector<std::string> args, const fs::path& log = {}) {
    ProcessOptions o;
    if (is_root()) {
        o.args = {"runuser", "-u", "postgres", "--"};
        o.args.insert(o.args.end(), args.begin(), args.end());
    } else {
        o.args = std::move(args);
    }
    o.cwd = "/";
    o.timeout = 60s;
    const auto r = run_process(o);
    if (r.exit_code != 0)
        throw std::runtime_error("private postgres: " + o.args.front() + " failed: " +
                                 describe(r) + (log.empty() ? "" : "\nlog:\n" + slurp(log)));
}

// A folder under /tmp that only the Postgres user can enter (mode 0700).
fs::path make_pg_dir() {
    std::string pattern = (fs::temp_directory_path() / "edgesync-pg-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("private postgres: mkdtemp failed");
    const fs::path dir = pattern;
    if (is_root()) {
        const passwd* pw = ::getpwnam("postgres");
        if (pw == nullptr)
            throw std::runtime_error("private postgres: no `postgres` user (install postgresql-15)");
        if (::chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0)
            throw std::runtime_error("private postgres: chown failed");
    }
    return dir;
}

template <typename Pred>
bool poll_until(Pred ready, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (ready()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return ready();
}

}  // namespace

std::uint16_t free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("bind to a free port failed");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

// ---- Postgres ---------------------------------------------------------------

PrivatePostgres::PrivatePostgres() : m_dir(make_pg_dir()) {
    try {
        run_pg_tool({(k_pg_bin / "initdb").string(), "-D", (m_dir / "data").string(), "-U",
                     pg_user(), "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"});
        m_port = free_loopback_port();
        m_url = "postgresql://" + pg_user() + "@127.0.0.1:" + std::to_string(m_port) + "/" +
                k_db_name;
        start();
        {
            pqxx::connection admin(with_database(m_url, "postgres"));
            pqxx::nontransaction tx(admin);
            tx.exec(std::string("CREATE DATABASE ") + k_db_name);
        }
        migrate::Migrator(
            migrate::Migrator::Options{.database_url = m_url, .dir = migrations_dir()})
            .up();
    } catch (...) {
        if (m_running) {
            try {
                run_pg_tool({(k_pg_bin / "pg_ctl").string(), "-D", (m_dir / "data").string(),
                             "-m", "immediate", "-w", "stop"});
            } catch (const std::exception&) {
            }
        }
        std::error_code ec;
        fs::remove_all(m_dir, ec);
        throw;
    }
}

PrivatePostgres::~PrivatePostgres() {
    if (m_running) {
        try {
            run_pg_tool({(k_pg_bin / "pg_ctl").string(), "-D", (m_dir / "data").string(), "-m",
                         "immediate", "-w", "stop"});
        } catch (const std::exception&) {
        }
    }
    std::error_code ec;
    fs::remove_all(m_dir, ec);
}

void PrivatePostgres::start() {
    if (m_running) return;
    const std::string opts = "-c listen_addresses=127.0.0.1 -p " + std::to_string(m_port) +
                             " -k " + m_dir.string() +
                             " -c max_connections=100 -c fsync=off -c synchronous_commit=off"
                             " -c full_page_writes=off";
    const auto log = m_dir / "postgres.log";
    run_pg_tool({(k_pg_bin / "pg_ctl").string(), "-D", (m_dir / "data").string(), "-l",
                 log.string(), "-w", "-t", "60", "-o", opts, "start"},
                log);
    m_running = true;
}

void PrivatePostgres::stop() {
    if (!m_running) return;
    run_pg_tool(
        {(k_pg_bin / "pg_ctl").string(), "-D", (m_dir / "data").string(), "-m", "fast", "-w",
         "stop"},
        m_dir / "postgres.log");
    m_running = false;
}

void PrivatePostgres::restart() {
    stop();
    start();
}

// ---- Redis ------------------------------------------------------------------

PrivateRedis::PrivateRedis() {
    std::string pattern = (fs::temp_directory_path() / "edgesync-redis-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("private redis: mkdtemp failed");
    m_dir = pattern;
    m_port = free_loopback_port();
    m_url = "redis://127.0.0.1:" + std::to_string(m_port) + "/0";
    start();
}

PrivateRedis::~PrivateRedis() {
    m_process.reset();  // SIGKILL + reap
    std::error_code ec;
    fs::remove_all(m_dir, ec);
}

void PrivateRedis::start() {
    if (m_process) return;
    ProcessOptions o;
    // No RDB snapshots, no AOF: what a restart loses is everything.
    o.args = {"redis-server", "--bind", "127.0.0.1", "--port", std::to_string(m_port),
              "--save", "", "--appendonly", "no", "--dir", m_dir.string(), "--daemonize", "no",
              "--logfile", (m_dir / "redis.log").string(), "--protected-mode", "yes"};
    o.cwd = m_dir;
    o.timeout = std::chrono::hours(24);  // it runs until stop(); the destructor kills it
    m_process = std::make_unique<Process>(o);
    const bool up = poll_until(
        [&] {
            try {
                return RedisClient::from_url(m_url).command({"PING"}).as_string() == "PONG";
            } catch (const std::exception&) {
                return false;
            }
        },
        30s);
    if (!up) {
        m_process.reset();
        throw std::runtime_error("private redis did not start:\n" + slurp(m_dir / "redis.log"));
    }
}

void PrivateRedis::stop() {
    if (!m_process) return;
    m_process->send_signal(SIGTERM);
    (void)m_process->wait();
    m_process.reset();
}

void PrivateRedis::restart() {
    stop();
    start();
}

}  // namespace edgesync::test
