#include "shared/db/redis_client.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

#include "shared/db/redis_detail.hpp"
#include "shared/util/error.hpp"

namespace edgesync {
namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

// Argument arrays for the *Argv hiredis calls; views into `args`.
struct ArgvView {
    explicit ArgvView(const std::vector<std::string>& args) {
        if (args.empty()) throw std::invalid_argument("Redis command without a name");
        argv.reserve(args.size());
        lens.reserve(args.size());
        for (const auto& a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
    }
    [[nodiscard]] int argc() const { return static_cast<int>(argv.size()); }
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
};

[[noreturn]] void throw_error_reply(const std::string& command, const RedisReply& r) {
    throw StorageError(
        fmt::format("Redis {} failed: {}", upper(command), detail::safe_error_text(r.as_string())));
}

}  // namespace

struct RedisClient::Impl {
    RedisEndpoint endpoint;
    RedisOptions options;
    detail::RedisContextPtr ctx{nullptr, &redisFree};

    [[nodiscard]] bool broken() const noexcept { return !ctx || ctx->err != 0; }

    // Runs `op` on a working connection; see the class comment for the retry rule.
    template <class Op>
    auto run(bool idempotent, Op&& op) -> decltype(op(*ctx)) {
        for (int attempt = 0;; ++attempt) {
            if (broken()) {
                ctx.reset();
                ctx = detail::open_redis_context(endpoint, options);
            }
            try {
                return op(*ctx);
            } catch (const detail::RedisIoError& e) {
                if (!idempotent || e.timed_out() || attempt > 0) throw;
            } catch (...) {
                // Anything else mid-call (e.g. bad_alloc) may leave unread replies:
                // drop the connection rather than hand out a desynchronised one.
                ctx.reset();
                throw;
            }
        }
    }

    RedisReply send(redisContext& c, const std::vector<std::string>& args) {
        ArgvView v(args);
        detail::RedisReplyPtr reply(
            static_cast<redisReply*>(redisCommandArgv(&c, v.argc(), v.argv.data(), v.lens.data())));
        if (!reply) detail::throw_io_error(c, args.front(), options);
        return detail::convert_reply(*reply);
    }

    std::vector<RedisReply> send_all(redisContext& c,
                                     const std::vector<std::vector<std::string>>& commands) {
        for (const auto& args : commands) {
            ArgvView v(args);
            if (redisAppendCommandArgv(&c, v.argc(), v.argv.data(), v.lens.data()) != REDIS_OK)
                detail::throw_io_error(c, "pipeline", options);
        }
        std::vector<RedisReply> out;
        out.reserve(commands.size());
        for (std::size_t i = 0; i < commands.size(); ++i) {
            void* raw = nullptr;
            if (redisGetReply(&c, &raw) != REDIS_OK || raw == nullptr)
                detail::throw_io_error(c, "pipeline", options);
            const detail::RedisReplyPtr reply(static_cast<redisReply*>(raw));
            out.push_back(detail::convert_reply(*reply));
        }
        return out;
    }
};

RedisClient::RedisClient(RedisEndpoint endpoint, RedisOptions options)
    : m_impl(std::make_unique<Impl>()) {
    m_impl->endpoint = std::move(endpoint);
    m_impl->options = options;
    m_impl->ctx = detail::open_redis_context(m_impl->endpoint, m_impl->options);
}

RedisClient RedisClient::from_url(std::string_view url, RedisOptions options) {
    return RedisClient(parse_redis_url(url), options);
}

RedisClient::~RedisClient() = default;
RedisClient::RedisClient(RedisClient&&) noexcept = default;
RedisClient& RedisClient::operator=(RedisClient&&) noexcept = default;

RedisReply RedisClient::command(const std::vector<std::string>& args) {
    auto reply = command_raw(args);
    if (reply.is_error()) throw_error_reply(args.front(), reply);
    return reply;
}

RedisReply RedisClient::command_raw(const std::vector<std::string>& args) {
    if (args.empty()) throw std::invalid_argument("Redis command without a name");
    return m_impl->run(is_idempotent(args), [&](redisContext& c) { return m_impl->send(c, args); });
}

std::vector<RedisReply> RedisClient::pipeline(
    const std::vector<std::vector<std::string>>& commands) {
    auto replies = pipeline_raw(commands);
    for (std::size_t i = 0; i < replies.size(); ++i)
        if (replies[i].is_error()) throw_error_reply(commands[i].front(), replies[i]);
    return replies;
}

std::vector<RedisReply> RedisClient::pipeline_raw(
    const std::vector<std::vector<std::string>>& commands) {
    if (commands.empty()) return {};
    for (const auto& args : commands)
        if (args.empty()) throw std::invalid_argument("Redis command without a name");
    const bool idempotent = std::all_of(commands.begin(), commands.end(),
                                        [](const auto& args) { return is_idempotent(args); });
    return m_impl->run(idempotent, [&](redisContext& c) { return m_impl->send_all(c, commands); });
}

std::vector<RedisReply> RedisClient::transaction(
    const std::vector<std::vector<std::string>>& commands) {
    std::vector<std::vector<std::string>> batch;
    batch.reserve(commands.size() + 2);
    batch.push_back({"MULTI"});
    batch.insert(batch.end(), commands.begin(), commands.end());
    batch.push_back({"EXEC"});
    auto replies = pipeline_raw(batch);
    // A command rejected while queueing makes EXEC answer EXECABORT; report the
    // first cause, which names the command.
    for (std::size_t i = 0; i + 1 < replies.size(); ++i)
        if (replies[i].is_error()) throw_error_reply(batch[i].front(), replies[i]);
    const auto& exec = replies.back();
    if (exec.is_error()) throw_error_reply("EXEC", exec);
    if (!exec.is_array()) throw StorageError("Redis EXEC: transaction was discarded");
    auto results = exec.as_array();
    if (results.size() != commands.size())
        throw StorageError("Redis EXEC: reply count does not match the commands");
    for (std::size_t i = 0; i < results.size(); ++i)
        if (results[i].is_error()) throw_error_reply(commands[i].front(), results[i]);
    return results;
}

RedisReply RedisClient::eval(const RedisScript& script, const std::vector<std::string>& keys,
                             const std::vector<std::string>& args) {
    std::vector<std::string> argv;
    argv.reserve(3 + keys.size() + args.size());
    argv.push_back("EVALSHA");
    argv.push_back(script.sha1());
    argv.push_back(std::to_string(keys.size()));
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    auto reply = command_raw(argv);
    if (reply.is_error() && reply.as_string().starts_with("NOSCRIPT")) {
        argv[0] = "EVAL";
        argv[1] = script.source();
        reply = command_raw(argv);
    }
    if (reply.is_error()) throw_error_reply(argv.front(), reply);
    return reply;
}

std::int64_t RedisClient::publish(const std::string& channel, const std::string& message) {
    return command({"PUBLISH", channel, message}).as_integer();
}

bool RedisClient::is_connected() const noexcept { return m_impl && !m_impl->broken(); }

const RedisEndpoint& RedisClient::endpoint() const noexcept { return m_impl->endpoint; }

bool is_idempotent(const std::vector<std::string>& args) {
    if (args.empty()) return false;
    static constexpr std::array<std::string_view, 27> k_read_only{
        "GET",      "MGET",      "EXISTS", "TTL",    "PTTL", "TYPE",    "STRLEN",
        "SMEMBERS", "SISMEMBER", "SCARD",  "SSCAN",  "SCAN", "HGET",    "HMGET",
        "HGETALL",  "HEXISTS",   "HLEN",   "LRANGE", "LLEN", "ZRANGE",  "ZSCORE",
        "ZCARD",    "PING",      "ECHO",   "DBSIZE", "TIME", "GETRANGE"};
    const auto name = upper(args.front());
    if (std::find(k_read_only.begin(), k_read_only.end(), name) != k_read_only.end()) return true;
    if (name != "SET") return false;
    // SET key value [EX s|PX ms|EXAT|PXAT|KEEPTTL] [NX|XX] [GET]: option tokens
    // start at index 3; EX/PX/EXAT/PXAT take a value that is never an option name.
    for (std::size_t i = 3; i < args.size(); ++i) {
        const auto opt = upper(args[i]);
        if (opt == "NX" || opt == "XX" || opt == "GET") return false;
        if (opt == "EX" || opt == "PX" || opt == "EXAT" || opt == "PXAT") ++i;
    }
    return true;
}

}  // namespace edgesync
