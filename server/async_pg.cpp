#include "server/async_pg.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <deque>

#include "shared/db/conninfo.hpp"
#include "shared/util/error.hpp"

namespace edgesync::server {

namespace net = boost::asio;

// ---- PgRows

PgRows::PgRows(pg_result* result) noexcept : m_result(result) {}
PgRows::~PgRows() {
    if (m_result != nullptr) PQclear(m_result);
}
PgRows::PgRows(PgRows&& o) noexcept : m_result(std::exchange(o.m_result, nullptr)) {}
PgRows& PgRows::operator=(PgRows&& o) noexcept {
    if (this != &o) {
        if (m_result != nullptr) PQclear(m_result);
        m_result = std::exchange(o.m_result, nullptr);
    }
    return *this;
}

std::size_t PgRows::size() const noexcept {
    return m_result == nullptr ? 0 : static_cast<std::size_t>(PQntuples(m_result));
}

std::optional<std::string_view> PgRows::get(std::size_t row, std::string_view column) const {
    if (row >= size()) throw StorageError("result row out of range");
    const std::string name(column);
    const int col = PQfnumber(m_result, name.c_str());
    if (col < 0) throw StorageError(fmt::format("result has no column {}", name));
    const int r = static_cast<int>(row);
    if (PQgetisnull(m_result, r, col) != 0) return std::nullopt;
    return std::string_view(PQgetvalue(m_result, r, col),
                            static_cast<std::size_t>(PQgetlength(m_result, r, col)));
}

namespace {

struct ConnDeleter {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;

std::string error_text(const PGconn* c) {
    std::string s = PQerrorMessage(c);
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// Blocking: a connection in non-blocking mode with every statement prepared.
ConnPtr open_connection(const std::string& conninfo,
                        const std::vector<AsyncPgPool::Statement>& statements) {
    ConnPtr c(PQconnectdb(conninfo.c_str()));
    if (!c) throw ConnectionError("Postgres: cannot allocate a connection");
    if (PQstatus(c.get()) != CONNECTION_OK)
        throw ConnectionError("cannot connect to Postgres: " + error_text(c.get()));
    const auto run = [&](PGresult* r, std::string_view what) {
        const auto status = PQresultStatus(r);
        PQclear(r);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
            throw ConnectionError(fmt::format("Postgres: {}: {}", what, error_text(c.get())));
    };
    run(PQexec(c.get(), "SET TIME ZONE 'UTC'; SET DateStyle TO 'ISO'"), "session setup");
    for (const auto& s : statements)
        run(PQprepare(c.get(), s.name.c_str(), s.sql.c_str(), 0, nullptr), "prepare " + s.name);
    if (PQsetnonblocking(c.get(), 1) != 0)
        throw ConnectionError("Postgres: cannot switch to non-blocking mode");
    return c;
}

struct Job {
    std::string name;
    std::vector<PgParam> params;
    AsyncPgPool::Callback done;
    std::chrono::steady_clock::time_point queued;
};

}  // namespace

class AsyncPgPool::Impl : public std::enable_shared_from_this<Impl> {
  public:
    Impl(net::io_context& ioc, Options options, std::vector<Statement> statements, Runner runner)
        : m_strand(net::make_strand(ioc)),
          m_options(std::move(options)),
          m_conninfo(with_conninfo_param(m_options.url, "connect_timeout", "5")),
          m_statements(std::move(statements)),
          m_runner(std::move(runner)) {
        if (m_options.size == 0) throw std::invalid_argument("AsyncPgPool: size must be >= 1");
        // Opening from the start: the first queries wait for the first connection.
        for (std::size_t i = 0; i < m_options.size; ++i) {
            m_conns.push_back(std::make_unique<Conn>(m_strand));
            m_conns.back()->opening = true;
        }
    }

    // Opens every connection in the background, as PgPool opens lazily: the
    // server starts (and /ready reports) while Postgres is down.
    void start() {
        net::post(m_strand, [self = shared_from_this()] {
            for (auto& c : self->m_conns) self->reconnect(*c, std::chrono::milliseconds(0));
        });
    }

    ~Impl() {
        for (auto& c : m_conns) detach(*c);
    }

    void exec(std::string name, std::vector<PgParam> params, Callback done) {
        net::post(m_strand, [self = shared_from_this(),
                             job = Job{std::move(name), std::move(params), std::move(done),
                                       std::chrono::steady_clock::now()}]() mutable {
            if (self->m_closed)
                return job.done(
                    std::unexpected(Failure{Failure::Kind::unavailable, "the pool is closed", {}}));
            self->m_waiting.push_back(std::move(job));
            self->next();
        });
    }

    // Fails what waits or runs and drops every connection; later queries fail.
    void close() {
        net::post(m_strand, [self = shared_from_this()] {
            self->m_closed = true;
            self->fail_waiting(Failure::Kind::unavailable, "the pool is closed");
            for (auto& c : self->m_conns) {
                c->backoff.cancel();
                if (c->job) {
                    auto job = std::move(*c->job);
                    c->job.reset();
                    job.done(std::unexpected(
                        Failure{Failure::Kind::unavailable, "the pool is closed", {}}));
                }
                self->detach(*c);
            }
        });
    }

  private:
    struct Conn {
        explicit Conn(const net::strand<net::io_context::executor_type>& strand)
            : socket(strand), backoff(strand) {}
        ConnPtr pg;
        net::posix::stream_descriptor socket;
        net::steady_timer backoff;
        std::optional<Job> job;      // the query in flight
        bool opening = false;        // an open attempt is on the runner
        PGresult* result = nullptr;  // its first result, until complete
    };

    void attach(Conn& c, ConnPtr pg) {
        c.socket.assign(PQsocket(pg.get()));
        c.pg = std::move(pg);
    }

    // The descriptor belongs to libpq: release it before PQfinish closes it.
    void detach(Conn& c) {
        if (c.socket.is_open()) {
            boost::system::error_code ec;
            c.socket.cancel(ec);
            (void)c.socket.release();
        }
        c.pg.reset();
        if (c.result != nullptr) PQclear(std::exchange(c.result, nullptr));
    }

    // Hands waiting queries to idle connections.
    void next() {
        while (!m_waiting.empty()) {
            Conn* idle = nullptr;
            bool any_alive = false;
            bool any_opening = false;
            for (auto& c : m_conns) {
                any_opening = any_opening || c->opening;
                if (!c->pg) continue;
                any_alive = true;
                if (!c->job) {
                    idle = c.get();
                    break;
                }
            }
            // Nothing to wait for: Postgres is down (every attempt failed).
            if (!any_alive && !any_opening)
                return fail_waiting(Failure::Kind::unavailable,
                                    "no connection to Postgres (reconnecting)");
            if (idle == nullptr) return;  // a connection frees up or opens
            Job job = std::move(m_waiting.front());
            m_waiting.pop_front();
            if (std::chrono::steady_clock::now() - job.queued > m_options.acquire_timeout) {
                job.done(std::unexpected(Failure{
                    Failure::Kind::overloaded, "no Postgres connection became free in time", {}}));
                continue;
            }
            send(*idle, std::move(job));
        }
    }

    void fail_waiting(Failure::Kind kind, const std::string& why) {
        auto waiting = std::move(m_waiting);
        m_waiting.clear();
        for (auto& job : waiting) job.done(std::unexpected(Failure{kind, why, {}}));
    }

    void send(Conn& c, Job job) {
        std::vector<const char*> values;
        std::vector<int> lengths, formats;
        for (const auto& p : job.params) {
            values.push_back(p.null ? nullptr : p.value.data());
            lengths.push_back(static_cast<int>(p.value.size()));
            formats.push_back(p.binary ? 1 : 0);
        }
        c.job = std::move(job);
        if (PQsendQueryPrepared(c.pg.get(), c.job->name.c_str(), static_cast<int>(values.size()),
                                values.data(), lengths.data(), formats.data(), 0) == 0)
            return broken(c, error_text(c.pg.get()));
        flush(c);
    }

    void flush(Conn& c) {
        const int r = PQflush(c.pg.get());
        if (r < 0) return broken(c, error_text(c.pg.get()));
        if (r == 1) {
            c.socket.async_wait(net::posix::stream_descriptor::wait_write,
                                [self = shared_from_this(), &c](boost::system::error_code ec) {
                                    if (ec || !c.job) return;
                                    self->flush(c);
                                });
            return;
        }
        wait_result(c);
    }

    void wait_result(Conn& c) {
        c.socket.async_wait(net::posix::stream_descriptor::wait_read,
                            [self = shared_from_this(), &c](boost::system::error_code ec) {
                                if (ec || !c.job) return;
                                self->on_readable(c);
                            });
    }

    void on_readable(Conn& c) {
        PGconn* pg = c.pg.get();
        if (PQconsumeInput(pg) == 0) return broken(c, error_text(pg));
        while (PQisBusy(pg) == 0) {
            PGresult* r = PQgetResult(pg);
            if (r == nullptr) return complete(c);
            if (c.result == nullptr)
                c.result = r;
            else
                PQclear(r);
        }
        wait_result(c);
    }

    void complete(Conn& c) {
        Job job = std::move(*c.job);
        c.job.reset();
        PGresult* r = std::exchange(c.result, nullptr);
        const auto status = r == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(r);
        if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
            job.done(PgRows(r));
        } else {
            Failure f{
                Failure::Kind::query, r != nullptr ? PQresultErrorMessage(r) : "no result", {}};
            if (r != nullptr) {
                if (const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE)) f.sqlstate = state;
                PQclear(r);
            }
            while (!f.message.empty() && f.message.back() == '\n') f.message.pop_back();
            if (PQstatus(c.pg.get()) != CONNECTION_OK) {
                f.kind = Failure::Kind::unavailable;
                job.done(std::unexpected(std::move(f)));
                return broken(c, "the connection was lost");
            }
            job.done(std::unexpected(std::move(f)));
        }
        next();
    }

    // Fails the query in flight, drops the connection and reopens it off the
    // I/O threads.
    void broken(Conn& c, const std::string& why) {
        spdlog::warn("async Postgres connection lost: {}", why);
        if (c.job) {
            auto job = std::move(*c.job);
            c.job.reset();
            job.done(std::unexpected(
                Failure{Failure::Kind::unavailable, "Postgres connection lost: " + why, {}}));
        }
        detach(c);
        reconnect(c, std::chrono::milliseconds(0));
        next();
    }

    // Opens `c` on the runner after `delay`; retries with a growing delay.
    // While an attempt runs, queries wait for it (next()); a failed attempt
    // with no live connection fails them (503), it does not keep them.
    void reconnect(Conn& c, std::chrono::milliseconds delay) {
        c.backoff.expires_after(delay);
        c.backoff.async_wait([self = shared_from_this(), &c, delay](boost::system::error_code ec) {
            if (ec || self->m_closed) return;
            const auto retry = std::max(std::chrono::milliseconds(250),
                                        std::min(delay * 2, std::chrono::milliseconds(5000)));
            c.opening = true;
            const bool queued = self->m_runner([self, &c, retry] {
                std::optional<ConnPtr> pg;
                try {
                    pg = open_connection(self->m_conninfo, self->m_statements);
                } catch (const std::exception& e) {
                    spdlog::warn("async Postgres connect failed: {}", e.what());
                }
                net::post(self->m_strand, [self, &c, retry, pg = std::move(pg)]() mutable {
                    c.opening = false;
                    if (self->m_closed) return;  // pg closes with this handler
                    if (!pg) {
                        self->reconnect(c, retry);
                        return self->next();
                    }
                    self->attach(c, std::move(*pg));
                    self->next();
                });
            });
            if (!queued) {
                c.opening = false;
                self->reconnect(c, retry);
                self->next();
            }
        });
    }

    net::strand<net::io_context::executor_type> m_strand;
    Options m_options;
    std::string m_conninfo;
    std::vector<Statement> m_statements;
    Runner m_runner;
    std::vector<std::unique_ptr<Conn>> m_conns;  // stable addresses
    std::deque<Job> m_waiting;
    bool m_closed = false;
};

AsyncPgPool::AsyncPgPool(net::io_context& ioc, Options options, std::vector<Statement> statements,
                         Runner reconnect_runner)
    : m_impl(std::make_shared<Impl>(ioc, std::move(options), std::move(statements),
                                    std::move(reconnect_runner))) {
    m_impl->start();
}

AsyncPgPool::~AsyncPgPool() { m_impl->close(); }

void AsyncPgPool::exec_prepared(std::string name, std::vector<PgParam> params, Callback done) {
    m_impl->exec(std::move(name), std::move(params), std::move(done));
}

}  // namespace edgesync::server
