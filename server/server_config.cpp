#include "server/server_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <limits>

#include "shared/util/error.hpp"

namespace edgesync::server {

namespace {

constexpr std::int64_t k_max_int = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t k_max_bytes = std::int64_t{1} << 40;

std::size_t size_setting(const Config& c, std::string_view name, std::size_t fallback,
                         std::int64_t min, std::int64_t max) {
    return static_cast<std::size_t>(c.get_int(name, static_cast<std::int64_t>(fallback), min, max));
}

std::chrono::milliseconds duration_setting(const Config& c, std::string_view name,
                                           std::chrono::milliseconds fallback) {
    const auto d = c.get_duration(name, fallback);
    if (d.count() <= 0) throw ConfigError(fmt::format("{} must be longer than 0", name));
    return d;
}

}  // namespace

std::pair<std::string, std::uint16_t> parse_listen_address(std::string_view text) {
    const auto bad = [&] {
        return ConfigError(
            fmt::format("listen address must be HOST:PORT (e.g. 127.0.0.1:8080), got '{}'", text));
    };
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) throw bad();
    std::string_view host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    if (host.starts_with('[')) {
        if (!host.ends_with(']') || host.size() < 3) throw bad();
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        throw bad();  // a bare IPv6 literal must be bracketed
    }
    unsigned port = 0;
    const auto [ptr, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || ptr != port_text.data() + port_text.size() ||
        port > 65535)
        throw bad();
    return {std::string(host), static_cast<std::uint16_t>(port)};
}

ServerConfig ServerConfig::from(const Config& c) {
    ServerConfig s;
    if (auto host = c.get("SERVER_ADDR")) s.listen_host = *host;
    s.listen_port = static_cast<std::uint16_t>(c.get_int("SERVER_PORT", 8080, 0, 65535));

    s.io_threads = size_setting(c, "SERVER_IO_THREADS", 2, 1, 256);
    s.pg_pool_size = size_setting(c, "PG_POOL_SIZE", 8, 1, 1000);
    s.redis_pool_size = size_setting(c, "REDIS_POOL_SIZE", 8, 1, 1000);
    s.workers = size_setting(c, "SERVER_WORKERS", s.pg_pool_size, 1, 1000);
    s.worker_queue = size_setting(c, "SERVER_WORKER_QUEUE", 256, 1, 1'000'000);
    if (auto level = c.get("LOG_LEVEL")) {
        static constexpr std::string_view levels[] = {"trace", "debug",    "info", "warn",
                                                      "error", "critical", "off"};
        if (std::find(std::begin(levels), std::end(levels), *level) == std::end(levels))
            throw ConfigError(fmt::format(
                "LOG_LEVEL must be one of trace, debug, info, warn, error, critical, off; got '{}'",
                *level));
        s.log_level = *level;
    }
    s.shutdown_timeout = duration_setting(c, "SERVER_SHUTDOWN_TIMEOUT", s.shutdown_timeout);
    s.stream_heartbeat = duration_setting(c, "SERVER_STREAM_HEARTBEAT", s.stream_heartbeat);

    auto& h = s.http;
    h.max_header_bytes =
        size_setting(c, "SERVER_MAX_HEADER_BYTES", h.max_header_bytes, 1024, 1 << 20);
    h.max_body_bytes =
        size_setting(c, "SERVER_MAX_BODY_BYTES", h.max_body_bytes, 1024, k_max_bytes);
    h.max_connections = size_setting(c, "SERVER_MAX_CONNECTIONS", h.max_connections, 1, 1'000'000);
    h.idle_timeout = duration_setting(c, "SERVER_IDLE_TIMEOUT", h.idle_timeout);
    h.read_timeout = duration_setting(c, "SERVER_READ_TIMEOUT", h.read_timeout);
    h.body_timeout = duration_setting(c, "SERVER_BODY_TIMEOUT", h.body_timeout);
    h.write_timeout = duration_setting(c, "SERVER_WRITE_TIMEOUT", h.write_timeout);

    auto& l = s.limits;
    l.max_blob_bytes = size_setting(c, "MAX_BLOB_BYTES", l.max_blob_bytes, 1, k_max_bytes);
    l.max_key_bytes = size_setting(c, "MAX_KEY_BYTES", l.max_key_bytes, 1, 4096);
    l.max_batch_items = size_setting(c, "MAX_BATCH_ITEMS", l.max_batch_items, 1, k_max_int);
    l.max_batch_bytes = size_setting(c, "MAX_BATCH_BYTES", l.max_batch_bytes, 1, k_max_bytes);
    l.max_page_items = size_setting(c, "MAX_PAGE_ITEMS", l.max_page_items, 1, k_max_int);
    l.max_wait =
        std::chrono::duration_cast<std::chrono::seconds>(c.get_duration("MAX_WAIT", l.max_wait));
    if (c.get("DEFAULT_QUOTA_BYTES"))
        l.default_quota_bytes =
            c.get_int("DEFAULT_QUOTA_BYTES", 0, 0, std::numeric_limits<std::int64_t>::max());

    s.login_rate_limit = c.get_int("LOGIN_RATE_LIMIT", s.login_rate_limit, 1, 1'000'000);
    s.login_rate_limit_per_ip =
        c.get_int("LOGIN_RATE_LIMIT_PER_IP", s.login_rate_limit_per_ip, 1, 1'000'000);

    // Secrets last, so a usage error about a plain setting is reported first.
    s.database_url = c.database_url();
    s.redis_url = c.redis_url();
    try {
        s.jwt_secret = c.jwt_secret();
    } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("{}; generate one with: openssl rand -base64 48", e.what()));
    }
    return s;
}

}  // namespace edgesync::server
