#include "server/async_redis.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <deque>

#include "shared/util/error.hpp"

namespace edgesync::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

RedisValue copy_reply(const redisReply* r) {
    RedisValue v;
    switch (r->type) {
        case REDIS_REPLY_STRING:
            v.type = RedisValue::Type::string;
            v.text.assign(r->str, r->len);
            break;
        case REDIS_REPLY_STATUS:
            v.type = RedisValue::Type::status;
            v.text.assign(r->str, r->len);
            break;
        case REDIS_REPLY_ERROR:
            v.type = RedisValue::Type::error;
            v.text.assign(r->str, r->len);
            break;
        case REDIS_REPLY_INTEGER:
            v.type = RedisValue::Type::integer;
            v.integer = r->integer;
            break;
        case REDIS_REPLY_ARRAY:
            v.type = RedisValue::Type::array;
            for (std::size_t i = 0; i < r->elements; ++i)
                v.elements.push_back(copy_reply(r->element[i]));
            break;
        default:
            break;  // nil
    }
    return v;
}

// Appends the RESP encoding of `args` to `out`.
void append_command(std::string& out, const std::vector<std::string>& args) {
    out += fmt::format("*{}\r\n", args.size());
    for (const auto& a : args) {
        out += fmt::format("${}\r\n", a.size());
        out += a;
        out += "\r\n";
    }
}

struct ReaderDeleter {
    void operator()(redisReader* r) const noexcept { redisReaderFree(r); }
};

}  // namespace

// Everything runs on m_strand; command() and close() post there.
class AsyncRedis::Impl : public std::enable_shared_from_this<Impl> {
  public:
    Impl(net::io_context& ioc, RedisEndpoint endpoint, Options options)
        : m_strand(net::make_strand(ioc)),
          m_socket(m_strand),
          m_timer(m_strand),
          m_endpoint(std::move(endpoint)),
          m_options(std::move(options)) {
        net::io_context resolver_ctx;
        tcp::resolver resolver(resolver_ctx);
        boost::system::error_code ec;
        const auto results = resolver.resolve(m_endpoint.host, std::to_string(m_endpoint.port), ec);
        if (ec || results.empty())
            throw ConfigError(fmt::format("Redis host '{}' does not resolve", m_endpoint.host));
        for (const auto& r : results) m_addresses.push_back(r.endpoint());
    }

    void command(std::vector<std::string> args, Callback done) {
        net::post(m_strand,
                  [self = shared_from_this(), args = std::move(args),
                   done = std::move(done)]() mutable { self->queue(args, std::move(done)); });
    }

    void close() {
        net::post(m_strand, [self = shared_from_this()] {
            self->m_closed = true;
            self->fail("the connection is closed");
        });
    }

  private:
    enum class State { disconnected, connecting, connected };

    void queue(const std::vector<std::string>& args, Callback done) {
        if (m_closed) return done(std::unexpected(std::string("the connection is closed")));
        append_command(m_out, args);
        m_waiting.push_back(std::move(done));
        if (m_state == State::disconnected) return connect();
        if (m_state == State::connected) flush();
    }

    void connect() {
        m_state = State::connecting;
        m_reader.reset(redisReaderCreate());
        if (!m_reader) return fail("cannot allocate a reply reader");
        // Setup commands go first; their replies are checked, not returned.
        std::string setup;
        std::deque<Callback> checks;
        const auto check = [self = shared_from_this()](std::string name) {
            return [self, name](Reply r) {
                if (r && r->type == RedisValue::Type::error)
                    self->fail(fmt::format("Redis refused {}", name));
            };
        };
        if (!m_endpoint.password.empty()) {
            if (m_endpoint.username.empty())
                append_command(setup, {"AUTH", m_endpoint.password});
            else
                append_command(setup, {"AUTH", m_endpoint.username, m_endpoint.password});
            checks.emplace_back(check("AUTH"));
        }
        if (m_endpoint.db != 0) {
            append_command(setup, {"SELECT", std::to_string(m_endpoint.db)});
            checks.emplace_back(check("SELECT"));
        }
        if (!m_options.client_name.empty()) {
            append_command(setup, {"CLIENT", "SETNAME", m_options.client_name});
            checks.emplace_back(check("CLIENT SETNAME"));
        }
        m_out.insert(0, setup);
        for (auto it = checks.rbegin(); it != checks.rend(); ++it)
            m_waiting.push_front(std::move(*it));
        m_progress = std::chrono::steady_clock::now();
        watch();
        net::async_connect(
            m_socket, m_addresses,
            [self = shared_from_this(), gen = m_generation](boost::system::error_code ec,
                                                             const tcp::endpoint&) {
                // Failed meanwhile — possibly followed by a new connect(), whose
                // state is `connecting` too: only the generation tells them apart.
                if (gen != self->m_generation || self->m_state != State::connecting) return;
                if (ec) return self->fail(fmt::format("cannot connect to Redis: {}", ec.message()));
                boost::system::error_code oec;
                self->m_socket.set_option(tcp::no_delay(true), oec);
                self->m_state = State::connected;
                self->m_progress = std::chrono::steady_clock::now();
                self->flush();
                self->read();
            });
    }

    void flush() {
        if (m_writing || m_out.empty()) return;
        m_writing = true;
        m_sending.swap(m_out);
        m_out.clear();
        if (!m_timer_armed) {
            m_progress = std::chrono::steady_clock::now();
            watch();
        }
        net::async_write(m_socket, net::buffer(m_sending),
                         [self = shared_from_this(), gen = m_generation](
                             boost::system::error_code ec, std::size_t) {
                             self->m_writing = false;
                             if (gen != self->m_generation) {
                                 // A write of a failed connection: a newer one may have
                                 // queued commands behind it meanwhile.
                                 if (self->m_state == State::connected) self->flush();
                                 return;
                             }
                             if (ec) return self->fail(fmt::format("write: {}", ec.message()));
                             self->m_sending.clear();
                             self->flush();
                         });
    }

    void read() {
        m_socket.async_read_some(net::buffer(m_in),
                                 [self = shared_from_this(), gen = m_generation](
                                     boost::system::error_code ec, std::size_t n) {
                                     if (gen != self->m_generation) return;
                                     if (ec)
                                         return self->fail(fmt::format("read: {}", ec.message()));
                                     self->on_bytes(n);
                                 });
    }

    void on_bytes(std::size_t n) {
        const auto gen = m_generation;
        if (redisReaderFeed(m_reader.get(), m_in.data(), n) != REDIS_OK)
            return fail("malformed reply");
        for (;;) {
            void* raw = nullptr;
            if (redisReaderGetReply(m_reader.get(), &raw) != REDIS_OK)
                return fail("malformed reply");
            if (raw == nullptr) break;
            auto* reply = static_cast<redisReply*>(raw);
            RedisValue value = copy_reply(reply);
            freeReplyObject(reply);
            if (m_waiting.empty()) return fail("a reply nobody asked for");
            auto done = std::move(m_waiting.front());
            m_waiting.pop_front();
            done(std::move(value));
            if (gen != m_generation) return;  // the callback failed the connection
        }
        m_progress = std::chrono::steady_clock::now();
        read();
    }

    // The watchdog: while replies are owed, the connection must make progress
    // (a reply, or the connect) within the timeout. It is not re-armed per
    // reply (that would cancel and queue a handler each time): it wakes at
    // the deadline and looks at the last progress.
    void watch() {
        const auto span =
            m_state == State::connecting ? m_options.connect_timeout : m_options.command_timeout;
        m_timer_armed = true;
        m_timer.expires_at(m_progress + span);
        m_timer.async_wait([self = shared_from_this(),
                            gen = m_generation](boost::system::error_code ec) {
            if (ec || gen != self->m_generation) return;
            self->m_timer_armed = false;
            if (self->m_waiting.empty()) return;  // idle: re-armed by the next write
            const auto limit = self->m_state == State::connecting ? self->m_options.connect_timeout
                                                                  : self->m_options.command_timeout;
            if (std::chrono::steady_clock::now() - self->m_progress >= limit)
                return self->fail(self->m_state == State::connecting ? "connect timed out"
                                                                     : "reply timed out");
            self->watch();
        });
    }

    // Ends the connection and every command in flight; the next command reconnects.
    void fail(const std::string& why) {
        ++m_generation;
        m_state = State::disconnected;
        m_timer_armed = false;
        m_timer.cancel();
        boost::system::error_code ec;
        m_socket.close(ec);
        m_out.clear();
        m_sending.clear();
        m_reader.reset();
        auto waiting = std::move(m_waiting);
        m_waiting.clear();
        const std::string message =
            fmt::format("Redis at {}:{}: {}", m_endpoint.host, m_endpoint.port, why);
        for (auto& done : waiting) done(std::unexpected(message));
    }

    net::strand<net::io_context::executor_type> m_strand;
    tcp::socket m_socket;
    net::steady_timer m_timer;
    RedisEndpoint m_endpoint;
    Options m_options;
    std::vector<tcp::endpoint> m_addresses;
    State m_state = State::disconnected;
    std::unique_ptr<redisReader, ReaderDeleter> m_reader;
    std::string m_out;      // encoded commands not yet written
    std::string m_sending;  // the write in progress
    bool m_writing = false;
    bool m_timer_armed = false;
    std::chrono::steady_clock::time_point m_progress;  // last reply (or connect start)
    bool m_closed = false;
    std::uint64_t m_generation = 0;  // bumped by fail(): stale handlers return
    std::deque<Callback> m_waiting;  // in send order, one per reply expected
    std::array<char, 16 * 1024> m_in{};
};

AsyncRedis::AsyncRedis(net::io_context& ioc, RedisEndpoint endpoint, Options options)
    : m_impl(std::make_shared<Impl>(ioc, std::move(endpoint), std::move(options))) {}

AsyncRedis::AsyncRedis(net::io_context& ioc, RedisEndpoint endpoint)
    : AsyncRedis(ioc, std::move(endpoint), Options{}) {}

AsyncRedis::~AsyncRedis() { m_impl->close(); }

void AsyncRedis::command(std::vector<std::string> args, Callback done) {
    m_impl->command(std::move(args), std::move(done));
}

void AsyncRedis::close() { m_impl->close(); }

}  // namespace edgesync::server
