#include "shared/db/redis_subscriber.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <poll.h>
#include <cerrno>
#include <deque>
#include <set>
#include <stdexcept>

#include "shared/db/redis_detail.hpp"
#include "shared/util/error.hpp"

namespace edgesync {
namespace {

using SteadyClock = std::chrono::steady_clock;

}  // namespace

struct RedisSubscriber::Impl {
    RedisEndpoint endpoint;
    RedisOptions options;
    detail::RedisContextPtr ctx{nullptr, &redisFree};
    std::deque<Message> pending;     // messages read while waiting for confirmations
    std::set<std::string> channels;  // what reconnect() restores
    std::set<std::string> patterns;
    std::int64_t count = 0;

    [[nodiscard]] bool broken() const noexcept { return !ctx || ctx->err != 0; }

    void require_connection() const {
        if (broken()) throw ConnectionError("Redis subscriber: connection lost (call reconnect())");
    }

    void send(const std::vector<std::string>& args) {
        std::vector<const char*> argv;
        std::vector<std::size_t> lens;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        if (redisAppendCommandArgv(ctx.get(), static_cast<int>(argv.size()), argv.data(),
                                   lens.data()) != REDIS_OK)
            detail::throw_io_error(*ctx, args.front(), options);
        int done = 0;
        while (done == 0)
            if (redisBufferWrite(ctx.get(), &done) != REDIS_OK)
                detail::throw_io_error(*ctx, args.front(), options);
    }

    // The next reply, or nullopt if none is complete by `deadline`.
    std::optional<RedisReply> read_reply(SteadyClock::time_point deadline) {
        for (;;) {
            void* raw = nullptr;
            if (redisGetReplyFromReader(ctx.get(), &raw) != REDIS_OK)
                detail::throw_io_error(*ctx, "subscriber read", options);
            if (raw != nullptr) {
                const detail::RedisReplyPtr reply(static_cast<redisReply*>(raw));
                return detail::convert_reply(*reply);
            }
            const auto left =
                std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd pfd{ctx->fd, POLLIN, 0};
            const int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
            if (n < 0 && errno != EINTR) {
                ctx.reset();
                throw ConnectionError("Redis subscriber: poll failed");
            }
            if (n > 0 && redisBufferRead(ctx.get()) != REDIS_OK)
                detail::throw_io_error(*ctx, "subscriber read", options);
        }
    }

    // Queues a message; returns the confirmation kind ("subscribe", ...) otherwise.
    std::string absorb(const RedisReply& r) {
        if (r.is_error())
            throw StorageError(
                fmt::format("Redis subscriber: {}", detail::safe_error_text(r.as_string())));
        const auto& a = r.as_array();
        if (a.empty()) throw StorageError("Redis subscriber: empty push reply");
        const auto& kind = a[0].as_string();
        if (kind == "message" && a.size() == 3) {
            pending.push_back({a[1].as_string(), a[2].as_string(), {}});
        } else if (kind == "pmessage" && a.size() == 4) {
            pending.push_back({a[2].as_string(), a[3].as_string(), a[1].as_string()});
        } else if (a.size() == 3 && a[2].is_integer()) {
            count = a[2].as_integer();
        }
        return kind;
    }

    // Sends `command names...` and waits for one `confirm` reply per name.
    void change(const char* command, const char* confirm, const std::vector<std::string>& names) {
        if (names.empty()) throw std::invalid_argument("Redis subscriber: no channel given");
        require_connection();
        std::vector<std::string> args{command};
        args.insert(args.end(), names.begin(), names.end());
        send(args);
        const auto deadline = SteadyClock::now() + options.command_timeout;
        std::size_t confirmed = 0;
        while (confirmed < names.size()) {
            const auto r = read_reply(deadline);
            if (!r) {
                ctx.reset();  // confirmations still in flight: the stream is out of step
                throw ConnectionError(fmt::format("Redis {}: no answer within {} ms", command,
                                                  options.command_timeout.count()));
            }
            if (absorb(*r) == confirm) ++confirmed;
        }
    }
};

RedisSubscriber::RedisSubscriber(RedisEndpoint endpoint, RedisOptions options)
    : m_impl(std::make_unique<Impl>()) {
    m_impl->endpoint = std::move(endpoint);
    m_impl->options = options;
    m_impl->ctx = detail::open_redis_context(m_impl->endpoint, m_impl->options);
}

RedisSubscriber::~RedisSubscriber() = default;
RedisSubscriber::RedisSubscriber(RedisSubscriber&&) noexcept = default;
RedisSubscriber& RedisSubscriber::operator=(RedisSubscriber&&) noexcept = default;

void RedisSubscriber::subscribe(const std::vector<std::string>& channels) {
    m_impl->channels.insert(channels.begin(), channels.end());
    m_impl->change("SUBSCRIBE", "subscribe", channels);
}

void RedisSubscriber::unsubscribe(const std::vector<std::string>& channels) {
    for (const auto& c : channels) m_impl->channels.erase(c);
    m_impl->change("UNSUBSCRIBE", "unsubscribe", channels);
}

void RedisSubscriber::psubscribe(const std::vector<std::string>& patterns) {
    m_impl->patterns.insert(patterns.begin(), patterns.end());
    m_impl->change("PSUBSCRIBE", "psubscribe", patterns);
}

void RedisSubscriber::punsubscribe(const std::vector<std::string>& patterns) {
    for (const auto& p : patterns) m_impl->patterns.erase(p);
    m_impl->change("PUNSUBSCRIBE", "punsubscribe", patterns);
}

std::optional<RedisSubscriber::Message> RedisSubscriber::next_message(
    std::chrono::milliseconds timeout) {
    auto& impl = *m_impl;
    const auto deadline = SteadyClock::now() + timeout;
    while (impl.pending.empty()) {
        impl.require_connection();
        const auto r = impl.read_reply(deadline);
        if (!r) return std::nullopt;
        (void)impl.absorb(*r);
    }
    auto m = std::move(impl.pending.front());
    impl.pending.pop_front();
    return m;
}

void RedisSubscriber::reconnect() {
    auto& impl = *m_impl;
    impl.ctx.reset();
    impl.count = 0;
    impl.ctx = detail::open_redis_context(impl.endpoint, impl.options);
    if (!impl.channels.empty())
        impl.change("SUBSCRIBE", "subscribe", {impl.channels.begin(), impl.channels.end()});
    if (!impl.patterns.empty())
        impl.change("PSUBSCRIBE", "psubscribe", {impl.patterns.begin(), impl.patterns.end()});
}

std::int64_t RedisSubscriber::subscription_count() const noexcept { return m_impl->count; }

bool RedisSubscriber::is_connected() const noexcept { return m_impl && !m_impl->broken(); }

}  // namespace edgesync
