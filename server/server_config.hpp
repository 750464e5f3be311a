#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "shared/config/config.hpp"

namespace edgesync::server {

// Connection-level limits, enforced by http_session before a handler runs.
struct HttpLimits {
    std::size_t max_header_bytes = 16 * 1024;  // SERVER_MAX_HEADER_BYTES -> 431
    std::size_t max_body_bytes = 1024 * 1024;  // SERVER_MAX_BODY_BYTES, routes may raise it -> 413
    std::size_t max_connections = 1024;        // SERVER_MAX_CONNECTIONS -> 503, then close
    std::chrono::milliseconds idle_timeout{
        60'000};  // SERVER_IDLE_TIMEOUT: keep-alive wait for a request
    std::chrono::milliseconds read_timeout{
        10'000};  // SERVER_READ_TIMEOUT: header, from its first byte
    std::chrono::milliseconds body_timeout{60'000};   // SERVER_BODY_TIMEOUT: the whole body
    std::chrono::milliseconds write_timeout{30'000};  // SERVER_WRITE_TIMEOUT: one response
};

// Product limits, published by GET /v1/info so clients can plan their
// requests, and enforced by the handlers that own them.
struct ProductLimits {
    std::size_t max_blob_bytes = 4 * 1024 * 1024;     // MAX_BLOB_BYTES: one state's ciphertext
    std::size_t max_key_bytes = 256;                  // MAX_KEY_BYTES: one state key
    std::size_t max_batch_items = 1000;               // MAX_BATCH_ITEMS: writes in one batch
    std::size_t max_batch_bytes = 16 * 1024 * 1024;   // MAX_BATCH_BYTES: ciphertext in one batch
    std::size_t max_page_items = 1000;                // MAX_PAGE_ITEMS: states/events per page
    std::chrono::seconds max_wait{30};                // MAX_WAIT: long-poll limit for /v1/events
    std::optional<std::int64_t> default_quota_bytes;  // DEFAULT_QUOTA_BYTES: none = unlimited
};

// Everything edgesync-server reads from its configuration (flags > env >
// .env > defaults), validated once at startup.
struct ServerConfig {
    std::string listen_host = "0.0.0.0";  // SERVER_ADDR
    std::uint16_t listen_port = 8080;     // SERVER_PORT; 0 = any free port
    std::size_t io_threads = 2;           // SERVER_IO_THREADS
    std::size_t pg_pool_size = 8;         // PG_POOL_SIZE
    std::size_t redis_pool_size = 8;      // REDIS_POOL_SIZE
    std::size_t workers = 8;              // SERVER_WORKERS, default PG_POOL_SIZE
    std::size_t worker_queue = 256;       // SERVER_WORKER_QUEUE -> 503 overloaded
    // SERVER_SHUTDOWN_TIMEOUT: how long in-flight requests may take to finish
    // after SIGTERM. Below 10 s so the process exits within 10 s.
    std::chrono::milliseconds shutdown_timeout{8'000};
    std::string log_level = "info";  // LOG_LEVEL: trace debug info warn error critical off
    // SERVER_STREAM_HEARTBEAT: an SSE keep-alive comment / a WebSocket ping
    // this often on an idle stream, so proxies keep it open.
    std::chrono::milliseconds stream_heartbeat{15'000};
    HttpLimits http;
    ProductLimits limits;

    std::string database_url;  // DATABASE_URL (secret: log only redact_url())
    std::string redis_url;     // REDIS_URL (secret likewise)
    std::string jwt_secret;    // JWT_SECRET, >= 32 bytes; never logged
    // Login attempts per 15 minutes: LOGIN_RATE_LIMIT per email + client IP,
    // LOGIN_RATE_LIMIT_PER_IP per client IP.
    std::int64_t login_rate_limit = 10;
    std::int64_t login_rate_limit_per_ip = 100;

    // Throws ConfigError naming the setting for a missing, malformed or weak
    // value (exit code 2).
    [[nodiscard]] static ServerConfig from(const Config& config);
};

// "HOST:PORT", "[::1]:PORT" or ":PORT" (host empty). Throws ConfigError.
[[nodiscard]] std::pair<std::string, std::uint16_t> parse_listen_address(std::string_view text);

}  // namespace edgesync::server
