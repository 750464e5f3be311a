#include "server/command_line.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>

#include "server/server_config.hpp"
#include "shared/util/error.hpp"
#include "shared/version.hpp"

namespace edgesync::server {

namespace {

constexpr const char* k_footer = R"(Settings (flag > environment > .env file > default):
  SERVER_ADDR, SERVER_PORT    listen address (default 0.0.0.0:8080; --listen)
  DATABASE_URL                Postgres, postgresql://user:pass@host:port/db (required)
  REDIS_URL                   Redis, redis://[:pass@]host[:port][/db] (required)
  JWT_SECRET                  HMAC key for access tokens, at least 32 bytes (required)
  SERVER_IO_THREADS           I/O threads (default 2)
  PG_POOL_SIZE, REDIS_POOL_SIZE   connection pools (default 8 each)
  SERVER_WORKERS              threads for database work (default PG_POOL_SIZE)
  SERVER_WORKER_QUEUE         requests waiting for a worker before 503 (default 256)
  SERVER_MAX_CONNECTIONS      open connections before 503 (default 1024)
  SERVER_MAX_HEADER_BYTES     request header limit (default 16384) -> 431
  SERVER_MAX_BODY_BYTES       default request body limit (default 1048576) -> 413
  SERVER_IDLE_TIMEOUT         keep-alive wait for the next request (default 60s)
  SERVER_READ_TIMEOUT         a request header must arrive within (default 10s)
  SERVER_BODY_TIMEOUT         a request body must arrive within (default 60s)
  SERVER_WRITE_TIMEOUT        a response must be taken within (default 30s)
  SERVER_SHUTDOWN_TIMEOUT     in-flight requests may finish after SIGTERM (default 8s)
  SERVER_STREAM_HEARTBEAT     SSE keep-alive comment / WebSocket ping when idle (default 15s)
  MAX_BLOB_BYTES, MAX_KEY_BYTES, MAX_BATCH_ITEMS, MAX_BATCH_BYTES, MAX_PAGE_ITEMS,
  MAX_WAIT, DEFAULT_QUOTA_BYTES   product limits, published by GET /v1/info
  LOGIN_RATE_LIMIT            login attempts per email + client IP per 15 min (default 10)
  LOGIN_RATE_LIMIT_PER_IP     login attempts per client IP per 15 min (default 100)
  LOG_LEVEL                   trace debug info warn error critical off (default info)
Durations: 500ms, 10s, 2m, 1h.

Endpoints (docs/server.md): GET /health, /ready, /metrics, /v1/info; /v1/auth/*,
/v1/sessions, /v1/devices, /v1/keys/*, /v1/states (+ /v1/states:batch),
/v1/events (page, long poll), /v1/events/stream (SSE), /v1/ws (WebSocket),
/v1/presence.
On start it prints one line to stdout: "edgesync-server: listening on HOST:PORT".
Logs, one access line per request, go to stderr. SIGTERM/SIGINT: stop accepting,
finish in-flight requests, exit 0.

Exit codes: 0 ok, 1 failure, 2 usage or configuration (e.g. weak JWT_SECRET),
4 database schema dirty or behind (run `edgesync migrate up`), 5 cannot reach Postgres.)";

}  // namespace

CommandLine parse_command_line(int argc, char** argv) {
    CommandLine result;
    CLI::App app{"edgesync-server: the EdgeSync HTTP API (health, readiness, metrics, info)",
                 "edgesync-server"};
    app.set_version_flag("--version", std::string("edgesync-server ") + k_version);
    app.footer(k_footer);
    app.get_formatter()->column_width(30);

    std::string listen, env_file;
    std::map<std::string, std::string> values;  // setting name -> flag value
    const auto setting = [&](const std::string& flag, const std::string& name,
                             const std::string& help) {
        app.add_option_function<std::string>(
               flag, [&values, name](const std::string& v) { values[name] = v; }, help)
            ->type_name("VALUE");
    };
    app.add_option("--listen", listen, "HOST:PORT to listen on; port 0 picks a free port")
        ->type_name("HOST:PORT");
    setting("--database-url", "DATABASE_URL", "Postgres URL (DATABASE_URL)");
    setting("--redis-url", "REDIS_URL", "Redis URL (REDIS_URL)");
    app.add_option("--env-file", env_file,
                   "read settings from this file (default ./.env if present)")
        ->type_name("PATH");
    setting("--io-threads", "SERVER_IO_THREADS", "I/O threads (SERVER_IO_THREADS)");
    setting("--workers", "SERVER_WORKERS", "worker threads (SERVER_WORKERS)");
    setting("--max-connections", "SERVER_MAX_CONNECTIONS",
            "connection limit (SERVER_MAX_CONNECTIONS)");
    setting("--max-body-bytes", "SERVER_MAX_BODY_BYTES",
            "request body limit (SERVER_MAX_BODY_BYTES)");
    setting("--idle-timeout", "SERVER_IDLE_TIMEOUT",
            "keep-alive idle timeout (SERVER_IDLE_TIMEOUT)");
    setting("--read-timeout", "SERVER_READ_TIMEOUT",
            "request header timeout (SERVER_READ_TIMEOUT)");
    setting("--shutdown-timeout", "SERVER_SHUTDOWN_TIMEOUT",
            "grace period after SIGTERM (SERVER_SHUTDOWN_TIMEOUT)");
    setting("--log-level", "LOG_LEVEL", "log level (LOG_LEVEL)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        result.exit_code = code == 0 ? 0 : static_cast<int>(ExitCode::usage);
        return result;
    }

    if (!listen.empty()) {
        try {
            const auto [host, port] = parse_listen_address(listen);
            if (!host.empty()) values["SERVER_ADDR"] = host;
            values["SERVER_PORT"] = std::to_string(port);
        } catch (const ConfigError& e) {
            fmt::print(stderr, "edgesync-server: error: --listen: {}\n", e.what());
            result.exit_code = static_cast<int>(ExitCode::usage);
            return result;
        }
    }
    if (!env_file.empty()) {
        if (!std::filesystem::is_regular_file(env_file)) {
            fmt::print(stderr, "edgesync-server: error: --env-file {}: no such file\n", env_file);
            result.exit_code = static_cast<int>(ExitCode::usage);
            return result;
        }
        result.load.dotenv = std::filesystem::path(env_file);
    }
    result.load.flags = std::move(values);
    return result;
}

}  // namespace edgesync::server
