#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

// A Postgres 15 and a Redis of one test's own, on free loopback ports in a
// temp folder, for tests that stop and restart them (the fault suite) without
// disturbing the shared services other tests use in parallel. Both keep their
// port across restarts, so a client's URL stays valid. Built as
// scripts/services.sh does: as root, Postgres runs as the `postgres` user in a
// folder it owns (initdb refuses root).
namespace edgesync::test {

[[nodiscard]] std::uint16_t free_loopback_port();

class Process;

// initdb, start, CREATE DATABASE edgesync and the repository's migrations
// (migrate::Migrator over migrations/, as `edgesync migrate up` does). Test
// settings: fsync off. Throws std::runtime_error (with the server log) when
// something fails. The destructor stops it (immediate) and removes the folder.
class PrivatePostgres {
  public:
    PrivatePostgres();
    ~PrivatePostgres();
    PrivatePostgres(const PrivatePostgres&) = delete;
    PrivatePostgres& operator=(const PrivatePostgres&) = delete;

    // postgresql://USER@127.0.0.1:PORT/edgesync
    [[nodiscard]] const std::string& url() const noexcept { return m_url; }
    [[nodiscard]] std::uint16_t port() const noexcept { return m_port; }

    // `pg_ctl stop -m fast` (clients are disconnected) / start again on the
    // same port with the same data. restart() = stop() + start().
    void stop();
    void start();
    void restart();

  private:
    std::filesystem::path m_dir;  // owned by the server's user, 0700
    std::uint16_t m_port = 0;
    std::string m_url;
    bool m_running = false;
};

// redis-server in the foreground (a child of the test), no persistence at
// all: stop() loses every key, as a crash of a cache-only Redis does. The
// destructor kills it.
class PrivateRedis {
  public:
    PrivateRedis();
    ~PrivateRedis();
    PrivateRedis(const PrivateRedis&) = delete;
    PrivateRedis& operator=(const PrivateRedis&) = delete;

    // redis://127.0.0.1:PORT/0
    [[nodiscard]] const std::string& url() const noexcept { return m_url; }
    [[nodiscard]] std::uint16_t port() const noexcept { return m_port; }

    void stop();  // SIGTERM, waits for the exit
    void start();  // again on the same port, empty
    void restart();

  private:
    std::filesystem::path m_dir;
    std::uint16_t m_port = 0;
    std::string m_url;
    std::unique_ptr<Process> m_process;
};

}  // namespace edgesync::test
