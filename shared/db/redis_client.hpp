#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shared/config/config.hpp"
#include "shared/db/redis_reply.hpp"
#include "shared/db/redis_script.hpp"

namespace edgesync {

struct RedisOptions {
    // Both must be > 0. The command timeout bounds each blocking read/write on
    // the socket (hiredis redisSetTimeout), so one call may take a little longer
    // when a reply arrives in several pieces.
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds command_timeout{5000};
    // CLIENT SETNAME on every (re)connect when not empty, so CLIENT LIST shows
    // who holds a connection. No spaces allowed.
    std::string client_name;
};

// One blocking connection to Redis (hiredis 0.14, RESP2, no TLS).
// Not thread-safe: one thread at a time; RedisPool hands out exclusive leases.
// Connects in the constructor (AUTH when the endpoint has a password, then
// SELECT its db); never call AUTH or SELECT yourself, reconnects would lose them.
//
// Errors:
//  - ConnectionError: Redis unreachable, AUTH refused, a timeout, or the
//    connection dropped. Messages never contain the password or argument values.
//  - StorageError: Redis answered with an error reply the caller did not ask
//    to see (command, pipeline, transaction, eval), or a reply of the wrong shape.
//
// Reconnects: a connection that broke in an earlier call is reopened at the start
// of the next call (nothing of the new call had been sent, so that is always
// safe). A call that fails because the connection dropped under it (not a
// timeout) is resent once on a fresh connection only if it is idempotent, see
// is_idempotent(); a pipeline only if every command in it is. Everything else
// (INCR, DEL, SADD, PUBLISH, EVAL/EVALSHA, transactions) throws ConnectionError,
// because its first attempt may already have been applied.
class RedisClient {
  public:
    explicit RedisClient(RedisEndpoint endpoint, RedisOptions options = {});
    // parse_redis_url + constructor; ConfigError for a malformed URL.
    [[nodiscard]] static RedisClient from_url(std::string_view url, RedisOptions options = {});
    ~RedisClient();
    RedisClient(RedisClient&&) noexcept;
    RedisClient& operator=(RedisClient&&) noexcept;
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;

    // One command, arguments binary-safe (redisCommandArgv). `args` must not be
    // empty. An error reply throws StorageError.
    RedisReply command(const std::vector<std::string>& args);
    // Same, but an error reply is returned as a value (for callers that expect one).
    [[nodiscard]] RedisReply command_raw(const std::vector<std::string>& args);

    // All commands in one round trip; replies in order. Every reply is read before
    // anything is thrown, so the connection stays usable. Any error reply throws
    // StorageError (pipeline) or is returned (pipeline_raw).
    std::vector<RedisReply> pipeline(const std::vector<std::vector<std::string>>& commands);
    [[nodiscard]] std::vector<RedisReply> pipeline_raw(
        const std::vector<std::vector<std::string>>& commands);

    // MULTI, the commands, EXEC in one round trip: applied atomically. Returns
    // EXEC's replies, one per command. StorageError if the transaction was
    // discarded or any command in it failed (commands before it were applied:
    // Redis has no rollback).
    std::vector<RedisReply> transaction(const std::vector<std::vector<std::string>>& commands);

    // EVALSHA, falling back to EVAL when the server does not know the script
    // (NOSCRIPT). An error raised by the script throws StorageError.
    RedisReply eval(const RedisScript& script, const std::vector<std::string>& keys,
                    const std::vector<std::string>& args);

    // PUBLISH; returns how many subscribers (of this Redis) received it.
    std::int64_t publish(const std::string& channel, const std::string& message);

    // False when the last call broke the connection (the next call reconnects).
    [[nodiscard]] bool is_connected() const noexcept;
    [[nodiscard]] const RedisEndpoint& endpoint() const noexcept;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;  // null only in a moved-from client (destroy or assign it)
};

// Commands that RedisClient resends once after a dropped connection: read-only
// ones (GET, GETRANGE, MGET, EXISTS, TTL, PTTL, TYPE, STRLEN, SMEMBERS, SISMEMBER, SCARD,
// SSCAN, SCAN, HGET, HMGET, HGETALL, HEXISTS, HLEN, LRANGE, LLEN, ZRANGE,
// ZSCORE, ZCARD, PING, ECHO, DBSIZE, TIME) and SET without NX, XX or
// GET (writing the same value twice leaves the same state). Case-insensitive.
[[nodiscard]] bool is_idempotent(const std::vector<std::string>& args);

}  // namespace edgesync
