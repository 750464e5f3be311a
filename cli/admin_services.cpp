#include "cli/admin_services.hpp"

#include <fmt/format.h>

#include "cli/console.hpp"
#include "shared/db/pg_pool.hpp"
#include "shared/db/redis_pool.hpp"
#include "shared/repositories/pg_account_repository.hpp"
#include "shared/repositories/pg_device_repository.hpp"
#include "shared/repositories/redis_session_repository.hpp"
#include "shared/services/account_service.hpp"
#include "shared/services/device_service.hpp"
#include "shared/services/redis_publisher.hpp"
#include "shared/services/session_service.hpp"

namespace edgesync::cli {
namespace {

PgPool::Options pg_options(const Context& context, std::string url) {
    PgPool::Options o;
    o.url = std::move(url);
    o.size = 1;  // one command, one thread
    o.connect_timeout = context.timeout;
    o.acquire_timeout = context.timeout;
    return o;
}

RedisPool::Options redis_options(const Context& context) {
    RedisPool::Options o;
    // Two: a service may publish while it still holds a lease (and the
    // publisher takes its own).
    o.max_size = 2;
    o.acquire_timeout = context.timeout;
    o.client.connect_timeout = context.timeout;
    // Bounds every reply too, so a Redis that accepts but never answers fails
    // within --timeout instead of hanging.
    o.client.command_timeout = context.timeout;
    o.client.client_name = "edgesync-cli";
    return o;
}

}  // namespace

struct AdminServices::Impl {
    Impl(const Context& context, const std::string& database_url, const std::string& redis_url)
        : pg(pg_options(context, database_url)),
          redis(parse_redis_url(redis_url), redis_options(context)),
          account_repo(pg),
          device_repo(pg),
          session_repo(redis),
          publisher(redis),
          accounts(account_repo, device_repo, session_repo, publisher),
          devices(account_repo, device_repo, session_repo, publisher),
          sessions(session_repo, publisher) {}

    PgPool pg;
    RedisPool redis;
    PgAccountRepository account_repo;
    PgDeviceRepository device_repo;
    RedisSessionRepository session_repo;
    RedisPublisher publisher;
    AccountService accounts;
    DeviceService devices;
    SessionService sessions;
};

AdminServices::AdminServices(const Context& context) {
    const auto database_url = context.config.database_url();
    const auto redis_url = context.config.redis_url();
    note(context, fmt::format("database {}", redact_url(database_url)));
    note(context, fmt::format("redis {}", redact_url(redis_url)));
    m_impl = std::make_unique<Impl>(context, database_url, redis_url);
}

AdminServices::~AdminServices() = default;

AccountService& AdminServices::accounts() { return m_impl->accounts; }
DeviceService& AdminServices::devices() { return m_impl->devices; }
SessionService& AdminServices::sessions() { return m_impl->sessions; }

void AdminServices::require_redis() {
    auto lease = m_impl->redis.acquire();
    (void)lease->command({"PING"});
}

Account AdminServices::account(std::string_view ref, bool include_deleted) {
    return take(m_impl->accounts.resolve(ref, include_deleted));
}

Device AdminServices::device(const Account& account, std::string_view ref) {
    return take(m_impl->devices.resolve(account.id, ref));
}

std::map<std::string, std::string> AdminServices::device_names(const std::string& account_id) {
    std::map<std::string, std::string> names;
    for (const auto& d : m_impl->devices.list(account_id)) names.emplace(d.id, d.name);
    return names;
}

void throw_service_error(const ServiceError& error) {
    std::string message = error.message;
    if (!error.candidates.empty())
        message += fmt::format(" (candidates: {})", fmt::join(error.candidates, "; "));
    throw Error(message, to_exit_code(error.code));
}

void confirm_or_abort(const Context& context, std::string_view action, bool assume_yes) {
    if (!confirm(context, action, assume_yes)) throw Error("aborted: nothing was changed");
}

}  // namespace edgesync::cli
