#include "shared/db/redis_detail.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <sys/time.h>
#include <cerrno>
#include <csignal>
#include <mutex>
#include <vector>

namespace edgesync::detail {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms.count() / 1000);
    tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms.count() % 1000) * 1000);
    return tv;
}

std::string where(const RedisEndpoint& ep) { return fmt::format("{}:{}", ep.host, ep.port); }

// AUTH / SELECT during connect: any failure means we cannot use this Redis.
void setup_command(redisContext* c, const RedisEndpoint& ep, std::string_view name,
                   const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    RedisReplyPtr reply(static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
    if (!reply)
        throw ConnectionError(
            fmt::format("Redis at {}: {} failed: {}", where(ep), name, c->errstr));
    if (reply->type == REDIS_REPLY_ERROR)
        throw ConnectionError(fmt::format("Redis at {} refused {}: {}", where(ep), name,
                                          safe_error_text({reply->str, reply->len})));
}

}  // namespace

void ReplyDeleter::operator()(redisReply* r) const noexcept { freeReplyObject(r); }

RedisContextPtr open_redis_context(const RedisEndpoint& ep, const RedisOptions& options) {
    // hiredis writes with write(2): a write to a connection Redis closed would
    // raise SIGPIPE and kill the whole process instead of failing one call.
    static std::once_flag ignore_sigpipe;
    std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });
    if (options.connect_timeout.count() <= 0 || options.command_timeout.count() <= 0)
        throw ConfigError("Redis timeouts must be > 0");
    RedisContextPtr c(
        redisConnectWithTimeout(ep.host.c_str(), ep.port, to_timeval(options.connect_timeout)),
        &redisFree);
    if (!c) throw ConnectionError("Redis: cannot allocate a connection context");
    if (c->err != 0)
        throw ConnectionError(
            fmt::format("cannot connect to Redis at {}: {}", where(ep), c->errstr));
    if (redisSetTimeout(c.get(), to_timeval(options.command_timeout)) != REDIS_OK ||
        redisEnableKeepAlive(c.get()) != REDIS_OK)
        throw ConnectionError(
            fmt::format("Redis at {}: cannot set socket options: {}", where(ep), c->errstr));
    if (!ep.username.empty())
        setup_command(c.get(), ep, "AUTH", {"AUTH", ep.username, ep.password});
    else if (!ep.password.empty())
        setup_command(c.get(), ep, "AUTH", {"AUTH", ep.password});
    if (ep.db != 0) setup_command(c.get(), ep, "SELECT", {"SELECT", std::to_string(ep.db)});
    if (!options.client_name.empty())
        setup_command(c.get(), ep, "CLIENT SETNAME", {"CLIENT", "SETNAME", options.client_name});
    return c;
}

void throw_io_error(const redisContext& c, std::string_view what, const RedisOptions& options) {
    const int saved_errno = errno;
    const bool timed_out =
        c.err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK);
    if (timed_out)
        throw RedisIoError(
            fmt::format("Redis {}: no answer within {} ms", what, options.command_timeout.count()),
            true);
    throw RedisIoError(fmt::format("Redis {}: connection lost: {}", what, c.errstr), false);
}

RedisReply convert_reply(const redisReply& r) {
    switch (r.type) {
        case REDIS_REPLY_NIL:
            return RedisReply::make_nil();
        case REDIS_REPLY_INTEGER:
            return RedisReply::make_integer(r.integer);
        case REDIS_REPLY_STRING:
            return RedisReply::make_string(std::string(r.str, r.len));
        case REDIS_REPLY_STATUS:
            return RedisReply::make_status(std::string(r.str, r.len));
        case REDIS_REPLY_ERROR:
            return RedisReply::make_error(std::string(r.str, r.len));
        case REDIS_REPLY_ARRAY: {
            std::vector<RedisReply> elements;
            elements.reserve(r.elements);
            for (std::size_t i = 0; i < r.elements; ++i)
                elements.push_back(convert_reply(*r.element[i]));
            return RedisReply::make_array(std::move(elements));
        }
        default:
            throw StorageError(fmt::format("Redis reply of unknown type {}", r.type));
    }
}

std::string safe_error_text(std::string_view text) {
    constexpr std::string_view echo = ", with args beginning with:";
    if (const auto p = text.find(echo); p != std::string_view::npos) text = text.substr(0, p);
    return std::string(text);
}

}  // namespace edgesync::detail
