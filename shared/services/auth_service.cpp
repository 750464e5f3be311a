#include "shared/services/auth_service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "shared/auth/refresh_token.hpp"
#include "shared/crypto/password.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/db/redis_keys.hpp"
#include "shared/repositories/account_repository.hpp"
#include "shared/repositories/device_repository.hpp"
#include "shared/repositories/session_repository.hpp"
#include "shared/services/revocation.hpp"
#include "shared/services/validation.hpp"
#include "shared/util/uuid.hpp"

namespace edgesync {
namespace {

// The one answer for every credential failure, so none says which part was wrong.
std::unexpected<ServiceError> bad_credentials() {
    return service_error(ServiceErrorCode::invalid_credentials, "wrong email or password");
}

// Stored in the session, shown by `session list`: a header need not be kept whole.
constexpr std::size_t k_max_user_agent_bytes = 512;

constexpr std::string_view k_default_device_name = "browser";

}  // namespace

AuthService::AuthService(AccountRepository& accounts, DeviceRepository& devices,
                         SessionRepository& sessions, RateLimiter& limiter, Publisher& publisher,
                         auth::JwtKey key, AuthOptions options)
    : m_accounts(accounts),
      m_devices(devices),
      m_sessions(sessions),
      m_limiter(limiter),
      m_publisher(publisher),
      m_account_rules(accounts, devices, sessions, publisher, options.password_limits),
      m_key(std::move(key)),
      m_options(std::move(options)) {}

ServiceResult<Account> AuthService::register_account(std::string_view email,
                                                     std::string_view password) {
    return m_account_rules.create(email, password);
}

ServiceResult<AuthTokens> AuthService::login(const LoginRequest& r) {
    auto email = normalize_email(r.email);
    if (!email) return std::unexpected(std::move(email.error()));
    if (r.device_id && r.new_device)
        return service_error(ServiceErrorCode::invalid_argument,
                             "name either an existing device or a new one, not both");
    // Malformed input is refused before any credential work: a 400 says
    // nothing about the account, and costs no Argon2id.
    if (r.device_id && !is_uuid(*r.device_id))
        return service_error(ServiceErrorCode::invalid_argument, "device id must be a UUID");
    if (r.new_device) {
        if (auto valid = validate_device_name(r.new_device->name); !valid)
            return std::unexpected(std::move(valid.error()));
        if (r.new_device->public_key.size() != crypto::k_box_public_key_bytes)
            return service_error(ServiceErrorCode::invalid_argument,
                                 "device public key must be 32 bytes (X25519)");
    }
    auto account = m_accounts.find_by_email(*email);  // live accounts only
    // The per-email counter is keyed by the account when there is one: the
    // lookup matches emails case-insensitively in Postgres (lower() under the
    // database's UTF-8 locale, so "Ä" = "ä"), and every spelling that reaches
    // the account must count against the same limit. An unknown email has no
    // account to protect; its spelling (ASCII-lowercased) is the key. The two
    // kinds cannot collide: an email contains '@', "account:<uuid>" does not.
    const std::string email_key =
        account ? "account:" + account->id : to_lower_ascii(*email);
    if (auto allowed = check_rate_limits(email_key, r.client.ip); !allowed)
        return std::unexpected(std::move(allowed.error()));

    if (!account) {
        crypto::dummy_verify(r.password, m_options.password_limits);
        return bad_credentials();
    }
    if (!crypto::verify_password(account->password_hash, r.password)) return bad_credentials();
    if (account->disabled())
        return service_error(ServiceErrorCode::account_disabled, "this account is disabled");
    // The password was right: earlier failures from here need not count.
    m_limiter.reset(redis_keys::login_ratelimit_key(email_key, r.client.ip));
    std::string password_hash = account->password_hash;
    if (crypto::password_needs_rehash(password_hash, m_options.password_limits)) {
        const std::string rehashed = crypto::hash_password(r.password, m_options.password_limits);
        if (m_accounts.replace_password_hash(account->id, password_hash, rehashed)) {
            password_hash = rehashed;
        } else if (const auto current = m_accounts.find_by_id(account->id);
                   current && crypto::verify_password(current->password_hash, r.password)) {
            password_hash = current->password_hash;  // another login rehashed it first
        }
        // Otherwise the password was changed meanwhile: the check after the
        // session write sees the hash differ and refuses this login.
    }

    auto device = login_device(*account, r);
    if (!device) return std::unexpected(std::move(device.error()));

    const Timestamp at = now();
    Session s;
    s.id = new_uuid();
    s.account_id = account->id;
    s.device_id = device->id;
    std::string refresh_token = auth::make_refresh_token(m_key, s.account_id, s.id);
    s.refresh_hash = auth::refresh_token_hash(refresh_token);
    s.created_at = at;
    s.expires_at = at + m_options.session_ttl;
    s.last_used_at = at;
    s.ip = r.client.ip;
    s.user_agent = r.client.user_agent.substr(0, k_max_user_agent_bytes);
    m_sessions.create(s);

    // Checked again after the write: a revoke, disable, delete or password
    // change that ran since the checks above wrote Postgres before it purged
    // Redis, so either its purge saw this session or this read sees its
    // write. No session can outlive it.
    if (auto still = check_access(s.account_id, s.device_id, ServiceErrorCode::invalid_credentials,
                                  &password_hash);
        !still) {
        m_sessions.remove(s.account_id, s.id);
        return std::unexpected(std::move(still.error()));
    }
    return tokens_for(s.account_id, s.device_id, s.id, s.expires_at, std::move(refresh_token), at);
}

ServiceResult<Device> AuthService::login_device(const Account& account, const LoginRequest& r) {
    if (r.device_id) {  // shape checked by login()
        const std::string id = to_lower_ascii(*r.device_id);
        auto d = m_devices.find(account.id, id);
        if (!d)
            return service_error(ServiceErrorCode::not_found,
                                 "no device " + id + " in this account");
        if (d->revoked())
            return service_error(ServiceErrorCode::revoked, "device " + id + " is revoked");
        return std::move(*d);
    }
    NewDevice nd{account.id, std::string(k_default_device_name), DeviceType::browser, {}};
    if (r.new_device) {  // shape checked by login()
        nd = {account.id, r.new_device->name, r.new_device->device_type, r.new_device->public_key};
    }
    auto created = m_devices.create(nd);
    if (!created) return bad_credentials();  // the account was deleted meanwhile
    return std::move(*created);
}

ServiceResult<void> AuthService::check_rate_limits(const std::string& email_key,
                                                   const std::string& ip) {
    // Both counted on every attempt, so a refused one still uses up the window.
    const auto pair =
        m_limiter.hit(redis_keys::login_ratelimit_key(email_key, ip), m_options.login_per_email_ip);
    const auto per_ip =
        m_limiter.hit(redis_keys::login_ip_ratelimit_key(ip), m_options.login_per_ip);
    const auto wait = std::max(pair.retry_after, per_ip.retry_after);
    if (pair.allowed && per_ip.allowed) return {};
    ServiceError e{ServiceErrorCode::rate_limited,
                   fmt::format("too many login attempts; try again in {} s", wait.count()),
                   {},
                   wait};
    return std::unexpected(std::move(e));
}

ServiceResult<void> AuthService::check_access(const std::string& account_id,
                                              const std::string& device_id, ServiceErrorCode gone,
                                              const std::string* password_hash) {
    const auto account = m_accounts.find_by_id(account_id);
    if (!account || account->deleted()) return service_error(gone, "the account no longer exists");
    if (password_hash && account->password_hash != *password_hash)
        return service_error(gone, "the password has just been changed");
    if (account->disabled())
        return service_error(ServiceErrorCode::account_disabled, "this account is disabled");
    const auto device = m_devices.find(account_id, device_id);
    if (!device) return service_error(gone, "the device no longer exists");
    if (device->revoked())
        return service_error(ServiceErrorCode::revoked, "device " + device_id + " is revoked");
    return {};
}

AuthTokens AuthService::tokens_for(const std::string& account_id, const std::string& device_id,
                                   const std::string& session_id, Timestamp session_end,
                                   std::string refresh_token, Timestamp at) const {
    auth::AccessClaims c{m_options.issuer, account_id, device_id, session_id, to_unix(at), 0};
    // Never past the session's end (whole seconds; at least one second, as a
    // JWT needs exp > iat — authenticate checks the session anyway).
    c.exp = std::max(std::min(to_unix(at + m_options.access_ttl), to_unix(session_end)), c.iat + 1);
    AuthTokens t;
    t.access_token = auth::issue_access_token(m_key, c);
    t.access_expires_at = from_unix(c.exp);
    t.refresh_token = std::move(refresh_token);
    t.refresh_expires_at = session_end;
    t.account_id = account_id;
    t.device_id = device_id;
    t.session_id = session_id;
    return t;
}

}  // namespace edgesync
