#pragma once

#include <memory>

#include "cli/command.hpp"
#include "shared/config/config.hpp"
#include "shared/db/redis_client.hpp"

namespace edgesync {
class PgPool;
class RedisPool;
class AccountRepository;
class DeviceRepository;
class StateRepository;
class EventRepository;
class PresenceRepository;
}  // namespace edgesync

namespace edgesync::cli {

// The Postgres and Redis connections of one command run and the repositories
// over them, each created on first use: a command that never touches Redis
// needs no REDIS_URL. Connecting is bounded by --timeout; an unreachable
// server is a ConnectionError (exit 5), a missing or malformed URL a
// ConfigError (exit 2). Single-threaded, like the CLI. `context` must outlive it.
class Stores {
  public:
    explicit Stores(const Context& context);
    ~Stores();
    Stores(const Stores&) = delete;
    Stores& operator=(const Stores&) = delete;

    [[nodiscard]] PgPool& pg();
    [[nodiscard]] AccountRepository& accounts();
    [[nodiscard]] DeviceRepository& devices();
    [[nodiscard]] StateRepository& states();
    [[nodiscard]] EventRepository& events();

    [[nodiscard]] RedisPool& redis();
    [[nodiscard]] PresenceRepository& presence();
    // For connections that cannot come from the pool (a RedisSubscriber).
    [[nodiscard]] RedisEndpoint redis_endpoint() const;
    [[nodiscard]] RedisOptions redis_options() const;

  private:
    const Context& m_context;
    // Pools before repositories: the repositories go first on destruction.
    std::unique_ptr<PgPool> m_pg;
    std::unique_ptr<RedisPool> m_redis;
    std::unique_ptr<AccountRepository> m_accounts;
    std::unique_ptr<DeviceRepository> m_devices;
    std::unique_ptr<StateRepository> m_states;
    std::unique_ptr<EventRepository> m_events;
    std::unique_ptr<PresenceRepository> m_presence;
};

}  // namespace edgesync::cli
