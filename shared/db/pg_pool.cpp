#include "shared/db/pg_pool.hpp"

#include <fmt/format.h>
#include <poll.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>

#include "shared/config/config.hpp"
#include "shared/db/conninfo.hpp"

namespace edgesync {
namespace {

std::string first_line(std::string_view text) {
    const auto nl = text.find('\n');
    return std::string(nl == std::string_view::npos ? text : text.substr(0, nl));
}

// Where we connect, safe to print: no password, no query string (which may
// carry one as ?password=).
std::string describe_target(const std::string& url) {
    std::string s = redact_url(url);
    if (url.find("://") != std::string::npos) s = s.substr(0, s.find('?'));
    return s;
}

// libpq's connect_timeout is in whole seconds (and at least 2), so a dead
// host fails boundedly instead of after the kernel's TCP timeout. A value the
// caller wrote into the URL wins (with_conninfo_param keeps it).
std::string with_connect_timeout(const std::string& url, std::chrono::milliseconds timeout) {
    if (timeout.count() <= 0) return url;
    const auto seconds = std::max<long long>(2, (timeout.count() + 999) / 1000);
    return with_conninfo_param(url, "connect_timeout", std::to_string(seconds));
}

// An idle connection should have nothing to read. If its socket is readable
// or hung up, the server has sent an error (e.g. FATAL on pg_terminate_backend
// or shutdown) or closed it: the connection is dead. One poll(2), no round trip.
bool looks_alive(pqxx::connection& conn) noexcept {
    if (!conn.is_open()) return false;
    pollfd p{};
    p.fd = conn.sock();
    if (p.fd < 0) return false;
    p.events = POLLIN;
    return ::poll(&p, 1, 0) == 0;
}

}  // namespace

PgPool::Lease::Lease(Lease&& other) noexcept
    : m_pool(std::exchange(other.m_pool, nullptr)),
      m_slot(std::move(other.m_slot)),
      m_discard(other.m_discard) {}

PgPool::Lease& PgPool::Lease::operator=(Lease&& other) noexcept {
    if (this != &other) {
        if (m_pool != nullptr) m_pool->release(std::move(m_slot), m_discard);
        m_pool = std::exchange(other.m_pool, nullptr);
        m_slot = std::move(other.m_slot);
        m_discard = other.m_discard;
    }
    return *this;
}

PgPool::Lease::~Lease() {
    if (m_pool != nullptr) m_pool->release(std::move(m_slot), m_discard);
}

PgPool::PgPool(Options options)
    : m_options(std::move(options)),
      m_conninfo(with_connect_timeout(m_options.url, m_options.connect_timeout)) {
    if (m_options.size == 0) throw std::invalid_argument("PgPool: size must be at least 1");
    m_idle.reserve(m_options.size);  // release() never allocates
}

PgPool::~PgPool() = default;

PgPool::Slot PgPool::open_connection() {
    try {
        Slot slot{std::make_unique<pqxx::connection>(m_conninfo), 0};
        pqxx::nontransaction tx(*slot.conn);
        tx.exec("SET TIME ZONE 'UTC'; SET DateStyle TO 'ISO'");
        return slot;
    } catch (const pqxx::broken_connection& e) {
        throw ConnectionError(fmt::format("cannot connect to Postgres at {}: {}",
                                          describe_target(m_options.url), first_line(e.what())));
    } catch (const pqxx::sql_error& e) {
        throw StorageError(fmt::format("Postgres session setup failed at {}: {}",
                                       describe_target(m_options.url), first_line(e.what())));
    } catch (const pqxx::failure& e) {
        throw ConnectionError(fmt::format("cannot connect to Postgres at {}: {}",
                                          describe_target(m_options.url), first_line(e.what())));
    }
}

PgPool::Lease PgPool::acquire() {
    const auto deadline = std::chrono::steady_clock::now() + m_options.acquire_timeout;
    std::unique_lock lock(m_mutex);
    for (;;) {
        while (!m_idle.empty()) {
            Slot slot = std::move(m_idle.back());
            m_idle.pop_back();
            if (looks_alive(*slot.conn)) return lend(std::move(slot));
            --m_open;
            ++m_discarded;
        }
        if (m_open < m_options.size) {
            ++m_open;  // reserve the place while connecting without the lock
            lock.unlock();
            Slot slot;
            try {
                slot = open_connection();
            } catch (...) {
                lock.lock();
                --m_open;
                lock.unlock();
                m_freed.notify_one();
                throw;
            }
            lock.lock();
            return lend(std::move(slot));
        }
        ++m_waiting;
        const bool ready = m_freed.wait_until(
            lock, deadline, [&] { return !m_idle.empty() || m_open < m_options.size; });
        --m_waiting;
        if (!ready) {
            ++m_acquire_timeouts;
            throw PoolTimeoutError(
                fmt::format("no Postgres connection free within {} ms (pool size {})",
                            m_options.acquire_timeout.count(), m_options.size));
        }
    }
}

void PgPool::declare(const std::string& name, const std::string& sql) {
    std::lock_guard lock(m_mutex);
    for (const auto& d : m_declarations) {
        if (d.name != name) continue;
        if (d.sql != sql)
            throw std::logic_error("PgPool: statement '" + name + "' declared with other SQL");
        return;
    }
    m_declarations.push_back({name, sql});
}

PgPool::Lease PgPool::lend(Slot slot) {
    try {
        sync_declarations(slot);
    } catch (...) {
        --m_open;  // the slot (and its connection) goes away
        ++m_discarded;
        throw;
    }
    return Lease(this, std::move(slot));
}

void PgPool::sync_declarations(Slot& slot) {
    // prepare() only records the definition; libpqxx sends it on first use.
    for (; slot.declared < m_declarations.size(); ++slot.declared) {
        const auto& d = m_declarations[slot.declared];
        slot.conn->prepare(d.name, d.sql);
    }
}

void PgPool::release(Slot slot, bool discard) noexcept {
    const bool reusable = !discard && slot.conn && slot.conn->is_open();
    {
        std::lock_guard lock(m_mutex);
        if (reusable) {
            m_idle.push_back(std::move(slot));
        } else {
            --m_open;
            ++m_discarded;
        }
    }
    m_freed.notify_one();
    // A discarded connection closes here, outside the lock.
}

bool PgPool::connection_lost(const pqxx::failure& e, Lease& lease) noexcept {
    const bool lost = dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
                      !lease.connection().is_open();
    if (lost) lease.discard();
    return lost;
}

void PgPool::throw_lost(const pqxx::failure& e) {
    throw ConnectionError("Postgres connection lost: " + first_line(e.what()));
}

PgPool::Stats PgPool::stats() const {
    std::lock_guard lock(m_mutex);
    Stats s;
    s.capacity = m_options.size;
    s.open = m_open;
    s.idle = m_idle.size();
    s.in_use = m_open - m_idle.size();
    s.waiting = m_waiting;
    s.acquire_timeouts = m_acquire_timeouts;
    s.discarded = m_discarded;
    return s;
}

}  // namespace edgesync
