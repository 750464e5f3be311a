#include "cli/stores.hpp"

#include "shared/db/pg_pool.hpp"
#include "shared/db/redis_pool.hpp"
#include "shared/repositories/pg_account_repository.hpp"
#include "shared/repositories/pg_device_repository.hpp"
#include "shared/repositories/pg_event_repository.hpp"
#include "shared/repositories/pg_state_repository.hpp"
#include "shared/repositories/redis_presence_repository.hpp"

namespace edgesync::cli {

Stores::Stores(const Context& context) : m_context(context) {}

Stores::~Stores() = default;

PgPool& Stores::pg() {
    if (!m_pg) {
        const auto timeout = std::chrono::milliseconds(m_context.timeout);
        // Commands run one statement at a time: two connections are plenty.
        m_pg = std::make_unique<PgPool>(PgPool::Options{.url = m_context.config.database_url(),
                                                        .size = 2,
                                                        .connect_timeout = timeout,
                                                        .acquire_timeout = timeout});
    }
    return *m_pg;
}

AccountRepository& Stores::accounts() {
    if (!m_accounts) m_accounts = std::make_unique<PgAccountRepository>(pg());
    return *m_accounts;
}

DeviceRepository& Stores::devices() {
    if (!m_devices) m_devices = std::make_unique<PgDeviceRepository>(pg());
    return *m_devices;
}

StateRepository& Stores::states() {
    if (!m_states) m_states = std::make_unique<PgStateRepository>(pg());
    return *m_states;
}

EventRepository& Stores::events() {
    if (!m_events) m_events = std::make_unique<PgEventRepository>(pg());
    return *m_events;
}

RedisEndpoint Stores::redis_endpoint() const {
    return parse_redis_url(m_context.config.redis_url());
}

RedisOptions Stores::redis_options() const {
    RedisOptions options;
    options.connect_timeout = m_context.timeout;
    options.command_timeout = m_context.timeout;
    options.client_name = "edgesync-cli";
    return options;
}

RedisPool& Stores::redis() {
    if (!m_redis) {
        RedisPool::Options options;
        options.max_size = 1;
        options.acquire_timeout = m_context.timeout;
        options.client = redis_options();
        m_redis = std::make_unique<RedisPool>(redis_endpoint(), options);
    }
    return *m_redis;
}

PresenceRepository& Stores::presence() {
    if (!m_presence) m_presence = std::make_unique<RedisPresenceRepository>(redis());
    return *m_presence;
}

}  // namespace edgesync::cli
