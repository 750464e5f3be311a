#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "shared/util/error.hpp"

namespace edgesync {

// No pooled connection became free within Options::acquire_timeout. The pool
// is saturated (not broken): callers may answer 503 and let the client retry.
class PoolTimeoutError : public StorageError {
public:
    using StorageError::StorageError;
};

// A bounded pool of Postgres connections (libpqxx 6.4), shared by every
// repository of a process. Thread-safe.
//
// Connections are opened lazily, up to Options::size; acquire() blocks until
// one is free or acquire_timeout passes (PoolTimeoutError). A connection found
// broken is discarded when its Lease ends and replaced lazily by a fresh one,
// so the pool heals after a Postgres restart without any caller noticing more
// than one failed call.
//
// Prepared statements: repositories declare(name, sql) once (normally in their
// constructor); each connection registers the declarations it has not seen yet
// when it is leased. libpqxx prepares a statement on the server on its first
// use on that connection, so a declaration costs nothing until used.
//
// Every connection runs with TimeZone=UTC and DateStyle=ISO, so timestamptz
// text is what parse_timestamp() reads.
//
// The pool must outlive every Lease it handed out.
class PgPool {
public:
    struct Options {
        std::string url;  // postgres:// URL or libpq key=value conninfo; may hold a password
        std::size_t size = 8;
        // libpq connect_timeout: whole seconds, at least 2.
        std::chrono::milliseconds connect_timeout{5000};
        std::chrono::milliseconds acquire_timeout{10000};
    };

    // For metrics (/metrics) and `doctor`. A consistent snapshot.
    struct Stats {
        std::size_t capacity = 0;  // Options::size
        std::size_t open = 0;      // connections that exist (idle + in use + being opened)
        std::size_t in_use = 0;    // leased, or being opened for a lease
        std::size_t idle = 0;      // open and free
        std::size_t waiting = 0;   // threads blocked in acquire()
        std::uint64_t acquire_timeouts = 0;  // acquire() calls that gave up
        std::uint64_t discarded = 0;         // broken connections thrown away
    };

    // A connection on loan. Move-only; gives it back on destruction. Any
    // transaction on it must end before the Lease does.
    class Lease {
    public:
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&& other) noexcept;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease();

        [[nodiscard]] pqxx::connection& connection() { return *m_slot.conn; }
        [[nodiscard]] pqxx::connection& operator*() { return *m_slot.conn; }
        [[nodiscard]] pqxx::connection* operator->() { return m_slot.conn.get(); }

        // Do not reuse this connection (e.g. after pqxx::broken_connection);
        // the pool opens a fresh one when it needs one.
        void discard() noexcept { m_discard = true; }

    private:
        friend class PgPool;
        struct Slot {
            std::unique_ptr<pqxx::connection> conn;
            std::size_t declared = 0;  // how many of the pool's declarations it holds
        };
        Lease(PgPool* pool, Slot slot) : m_pool(pool), m_slot(std::move(slot)) {}

        PgPool* m_pool = nullptr;  // null once moved from
        Slot m_slot;
        bool m_discard = false;
    };

    // Opens no connection yet. Throws std::invalid_argument for size 0.
    explicit PgPool(Options options);
    ~PgPool();
    PgPool(const PgPool&) = delete;
    PgPool& operator=(const PgPool&) = delete;

    // Throws ConnectionError if a new connection cannot be opened (within
    // connect_timeout), PoolTimeoutError if none frees up in time.
    [[nodiscard]] Lease acquire();

    // Registers a prepared statement for every connection, present and
    // future. Declaring the same name with the same SQL again is a no-op; with
    // different SQL it throws std::logic_error.
    void declare(const std::string& name, const std::string& sql);

    // Runs f(pqxx::nontransaction&) for reads. A read is idempotent, so if the
    // connection turns out broken it is retried once on a fresh connection.
    template <class F>
    auto read(F&& f) -> std::invoke_result_t<F&, pqxx::nontransaction&>;

    // Runs f(pqxx::nontransaction&): each statement commits on its own, so
    // write with ONE statement (or one function call). Never retried: after a
    // broken connection the outcome is unknown (ConnectionError).
    template <class F>
    auto write(F&& f) -> std::invoke_result_t<F&, pqxx::nontransaction&>;

    // Runs f(pqxx::work&) and commits. If the connection breaks before COMMIT
    // is sent, nothing was applied and f is run once more on a fresh
    // connection (so f must have no effects outside the transaction).
    template <class F>
    auto transaction(F&& f) -> std::invoke_result_t<F&, pqxx::work&>;

    [[nodiscard]] Stats stats() const;
    [[nodiscard]] const Options& options() const { return m_options; }

private:
    using Slot = Lease::Slot;

    struct Declaration {
        std::string name;
        std::string sql;
    };

    [[nodiscard]] Slot open_connection();
    // Both require m_mutex held. lend() gives the slot's place back if it throws.
    [[nodiscard]] Lease lend(Slot slot);
    void sync_declarations(Slot& slot);
    void release(Slot slot, bool discard) noexcept;
    // True when `e` (caught while using `lease`) means the connection is gone.
    [[nodiscard]] static bool connection_lost(const pqxx::failure& e, Lease& lease) noexcept;
    [[noreturn]] static void throw_lost(const pqxx::failure& e);

    const Options m_options;
    const std::string m_conninfo;  // m_options.url plus connect_timeout; never logged

    mutable std::mutex m_mutex;
    std::condition_variable m_freed;          // an idle slot appeared or `m_open` dropped
    std::vector<Slot> m_idle;                 // LIFO: the warmest connection first
    std::vector<Declaration> m_declarations;  // append-only
    std::size_t m_open = 0;
    std::size_t m_waiting = 0;
    std::uint64_t m_acquire_timeouts = 0;
    std::uint64_t m_discarded = 0;
};

template <class F>
auto PgPool::read(F&& f) -> std::invoke_result_t<F&, pqxx::nontransaction&> {
    for (int attempt = 0;; ++attempt) {
        Lease lease = acquire();
        try {
            pqxx::nontransaction tx(lease.connection());
            return f(tx);
        } catch (const pqxx::failure& e) {
            if (!connection_lost(e, lease)) throw;
            if (attempt >= 1) throw_lost(e);
        }
    }
}

template <class F>
auto PgPool::write(F&& f) -> std::invoke_result_t<F&, pqxx::nontransaction&> {
    Lease lease = acquire();
    try {
        pqxx::nontransaction tx(lease.connection());
        return f(tx);
    } catch (const pqxx::failure& e) {
        if (!connection_lost(e, lease)) throw;
        throw_lost(e);
    }
}

template <class F>
auto PgPool::transaction(F&& f) -> std::invoke_result_t<F&, pqxx::work&> {
    using Result = std::invoke_result_t<F&, pqxx::work&>;
    for (int attempt = 0;; ++attempt) {
        Lease lease = acquire();
        bool committing = false;
        try {
            pqxx::work tx(lease.connection());
            if constexpr (std::is_void_v<Result>) {
                f(tx);
                committing = true;
                tx.commit();
                return;
            } else {
                Result result = f(tx);
                committing = true;
                tx.commit();
                return result;
            }
        } catch (const pqxx::in_doubt_error& e) {
            lease.discard();
            throw_lost(e);
        } catch (const pqxx::failure& e) {
            if (!connection_lost(e, lease)) throw;
            if (committing || attempt >= 1) throw_lost(e);
        }
    }
}

}  // namespace edgesync
