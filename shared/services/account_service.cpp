#include "shared/services/account_service.hpp"

#include <fmt/format.h>

#include "shared/crypto/password.hpp"
#include "shared/repositories/account_repository.hpp"
#include "shared/repositories/device_repository.hpp"
#include "shared/repositories/session_repository.hpp"
#include "shared/services/revocation.hpp"
#include "shared/services/validation.hpp"
#include "shared/util/error.hpp"
#include "shared/util/uuid.hpp"

namespace edgesync {
namespace {

std::unexpected<ServiceError> no_account_with_id(const std::string& id) {
    return service_error(ServiceErrorCode::not_found, "no account with id " + id);
}

void take_later(std::optional<Timestamp>& latest, const std::optional<Timestamp>& t) {
    if (t && (!latest || *t > *latest)) latest = t;
}

}  // namespace

AccountService::AccountService(AccountRepository& accounts, DeviceRepository& devices,
                               SessionRepository& sessions, Publisher& publisher,
                               crypto::PwhashLimits password_limits)
    : m_accounts(accounts),
      m_devices(devices),
      m_sessions(sessions),
      m_publisher(publisher),
      m_password_limits(password_limits) {}

ServiceResult<Account> AccountService::create(std::string_view email, std::string_view password,
                                              std::optional<std::int64_t> quota_bytes) {
    auto normalized = normalize_email(email);
    if (!normalized) return std::unexpected(std::move(normalized.error()));
    if (auto weak = crypto::check_password_policy(password))
        return service_error(ServiceErrorCode::weak_password, *weak);
    if (quota_bytes && *quota_bytes < 0)
        return service_error(ServiceErrorCode::invalid_argument, "quota must not be negative");

    const auto taken = [&] {
        return service_error(ServiceErrorCode::email_taken,
                             "an account with email " + *normalized + " already exists");
    };
    // Spares the Argon2id cost in the common case; create() below still
    // settles a race through the unique index.
    if (m_accounts.find_by_email(*normalized)) return taken();

    NewAccount a;
    a.email = *normalized;
    a.password_hash = crypto::hash_password(password, m_password_limits);
    a.quota_bytes = quota_bytes;
    auto created = m_accounts.create(a);
    if (created) return std::move(*created);
    if (created.error() == AccountError::email_taken) return taken();
    throw StorageError("account create: repository answered not_found");  // not in its contract
}

ServiceResult<Account> AccountService::resolve(std::string_view ref, bool include_deleted) {
    return resolve_account(m_accounts, ref, include_deleted);
}

ServiceResult<Account> resolve_account(AccountRepository& accounts, std::string_view ref,
                                       bool include_deleted) {
    const std::string_view r = trim_ascii_space(ref);
    if (is_uuid(r)) {
        const std::string id = to_lower_ascii(r);
        auto account = accounts.find_by_id(id);
        if (!account) return no_account_with_id(id);
        if (account->deleted() && !include_deleted)
            return service_error(ServiceErrorCode::not_found, "account " + id + " is deleted");
        return std::move(*account);
    }
    // Loose on purpose (the lookup decides whether the email exists), but
    // something on both sides of the '@': "@" or "bob@" is a typo, not a miss.
    if (const auto at = r.find('@'); at != std::string_view::npos && at > 0 && at + 1 < r.size()) {
        auto account = accounts.find_by_email(std::string(r));
        if (!account)
            return service_error(ServiceErrorCode::not_found,
                                 "no account with email " + std::string(r));
        return std::move(*account);
    }
    return service_error(
        ServiceErrorCode::invalid_argument,
        // fmt, not "'" + std::string: g++ 12 -O2 warns a false -Wrestrict on that (PR 105329).
        fmt::format("'{}' is neither an account id (UUID) nor an email address", r));
}

ServiceResult<AccountPage> AccountService::list(const AccountListQuery& query) {
    if (query.limit == 0 || query.limit > k_account_page_max)
        return service_error(ServiceErrorCode::invalid_argument,
                             "limit must be 1 to " + std::to_string(k_account_page_max));
    // Two statements, not one snapshot: under concurrent sign-ups the total
    // may be off by the accounts created in between, which a listing tolerates.
    return AccountPage{m_accounts.list(query), m_accounts.count(query)};
}

ServiceResult<AccessEnded> AccountService::disable(const std::string& account_id) {
    if (!m_accounts.set_disabled(account_id, true)) return no_account_with_id(account_id);
    return AccessEnded{end_sessions(account_id), 0};
}

ServiceResult<void> AccountService::enable(const std::string& account_id) {
    if (!m_accounts.set_disabled(account_id, false)) return no_account_with_id(account_id);
    return {};
}

ServiceResult<AccessEnded> AccountService::remove(const std::string& account_id) {
    if (auto live = live_account(account_id); !live) return std::unexpected(live.error());
    // Revoked one by one first only to count them: soft_delete revokes any
    // device registered in between as well.
    const std::size_t revoked = m_devices.revoke_all(account_id).size();
    if (!m_accounts.soft_delete(account_id)) return no_account_with_id(account_id);
    return AccessEnded{end_sessions(account_id), revoked};
}

ServiceResult<AccessEnded> AccountService::change_password(const std::string& account_id,
                                                           std::string_view new_password) {
    if (auto weak = crypto::check_password_policy(new_password))
        return service_error(ServiceErrorCode::weak_password, *weak);
    if (auto live = live_account(account_id); !live) return std::unexpected(live.error());
    const std::string hash = crypto::hash_password(new_password, m_password_limits);
    if (!m_accounts.set_password_hash(account_id, hash)) return no_account_with_id(account_id);
    return AccessEnded{end_sessions(account_id), 0};
}

ServiceResult<AccountSummary> AccountService::summary(const std::string& account_id) {
    auto account = m_accounts.find_by_id(account_id);
    if (!account) return no_account_with_id(account_id);
    AccountSummary s;
    s.account = std::move(*account);
    s.devices = m_devices.list(account_id, /*include_revoked=*/true);
    const auto sessions = m_sessions.list(account_id);
    s.live_sessions = sessions.size();
    for (const auto& d : s.devices) {
        take_later(s.last_activity, d.last_seen_at);
        take_later(s.last_activity, d.updated_at);
    }
    for (const auto& session : sessions) take_later(s.last_activity, session.last_used_at);
    return s;
}

ServiceResult<Account> AccountService::live_account(const std::string& account_id) {
    auto account = m_accounts.find_by_id(account_id);
    if (!account) return no_account_with_id(account_id);
    if (account->deleted())
        return service_error(ServiceErrorCode::not_found, "account " + account_id + " is deleted");
    return std::move(*account);
}

std::size_t AccountService::end_sessions(const std::string& account_id) {
    const std::size_t ended = m_sessions.remove_all(account_id);
    publish_revocation(m_publisher, RevocationNotice::for_account(account_id));
    return ended;
}

}  // namespace edgesync
