#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_result;  // libpq's PGresult; libpq-fe.h stays in the .cpp

namespace edgesync::server {

// A query's result rows (text format), owning libpq's PGresult.
class PgRows {
  public:
    explicit PgRows(pg_result* result) noexcept;
    ~PgRows();
    PgRows(PgRows&&) noexcept;
    PgRows& operator=(PgRows&&) noexcept;
    PgRows(const PgRows&) = delete;
    PgRows& operator=(const PgRows&) = delete;

    [[nodiscard]] std::size_t size() const noexcept;
    // The column's value in `row`; nullopt for NULL. Throws StorageError for
    // a column the result does not have or a row out of range.
    [[nodiscard]] std::optional<std::string_view> get(std::size_t row,
                                                      std::string_view column) const;

  private:
    pg_result* m_result;
};

// A parameter: text, or binary (bytea), or NULL.
struct PgParam {
    std::string value;
    bool binary = false;
    bool null = false;
};

// A small pool of non-blocking libpq connections driven by the io_context,
// for the hot request path: a prepared statement goes out with
// PQsendQueryPrepared and its result is read when the socket is readable, so
// no thread waits and no worker hand-off happens (the rest of the server uses
// libpqxx through PgPool on the worker pool).
//
// Connections are opened in the background by `reconnect_runner` (given a
// blocking job to run off the I/O threads, e.g. WorkerPool::try_submit), at
// start and again when one breaks, retrying with a growing delay; each
// statement is prepared on every connection. Meanwhile the others serve. A
// query waits in a FIFO while every connection is busy or being opened; one
// that waited over `acquire_timeout` when its turn comes fails as overloaded
// (the client retries: 503) instead of adding to a backlog; with no connection
// alive and none being opened (Postgres down) it fails at once as
// unavailable. Thread-safe; callbacks run on the pool's strand and must not
// block.
class AsyncPgPool {
  public:
    struct Statement {
        std::string name;
        std::string sql;
    };
    struct Options {
        std::string url;
        std::size_t size = 8;
        std::chrono::milliseconds acquire_timeout{5000};
    };
    struct Failure {
        enum class Kind { overloaded, unavailable, query };
        Kind kind = Kind::query;
        std::string message;   // libpq's text; may name the server, never a password
        std::string sqlstate;  // for Kind::query
    };
    using Result = std::expected<PgRows, Failure>;
    using Callback = std::move_only_function<void(Result)>;
    using Runner = std::function<bool(std::move_only_function<void()>)>;

    // Never connects here (the server starts while Postgres is down).
    AsyncPgPool(boost::asio::io_context& ioc, Options options, std::vector<Statement> statements,
                Runner reconnect_runner);
    // Closes the connections (on the pool's strand; what is in flight fails).
    ~AsyncPgPool();
    AsyncPgPool(const AsyncPgPool&) = delete;
    AsyncPgPool& operator=(const AsyncPgPool&) = delete;

    // Runs the prepared statement `name` with `params`; `done` gets the rows
    // or the failure.
    void exec_prepared(std::string name, std::vector<PgParam> params, Callback done);

  private:
    class Impl;
    std::shared_ptr<Impl> m_impl;
};

}  // namespace edgesync::server
