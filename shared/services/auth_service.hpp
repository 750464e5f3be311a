#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "shared/auth/jwt.hpp"
#include "shared/crypto/pwhash_limits.hpp"
#include "shared/models/account.hpp"
#include "shared/models/device.hpp"
#include "shared/models/session.hpp"
#include "shared/services/account_service.hpp"
#include "shared/services/rate_limiter.hpp"
#include "shared/services/service_error.hpp"
#include "shared/util/bytes.hpp"
#include "shared/util/time.hpp"

namespace edgesync {

class AccountRepository;
class DeviceRepository;
class SessionRepository;
class Publisher;

struct AuthOptions {
    std::string issuer = "edgesync";                             // JWT iss, written and required
    std::chrono::seconds access_ttl = auth::k_access_token_ttl;  // capped by the session's end
    // Idle session lifetime: a session ends this long after login or its last
    // refresh (each refresh slides the end forward), so a daemon that
    // refreshes stays logged in while a forgotten session dies...
    std::chrono::seconds session_ttl{30 * 24 * 3600};
    // ...but never later than this long after login (re-authenticate yearly).
    std::chrono::seconds session_max_lifetime{365 * 24 * 3600};
    RateLimit login_per_email_ip{10, std::chrono::minutes(15)};  // es:ratelimit:login:{email}:{ip}
    RateLimit login_per_ip{100, std::chrono::minutes(15)};       // es:ratelimit:login-ip:{ip}
    // Argon2id cost of new hashes (registration, rehash after login) and of
    // the dummy check for unknown emails. Tests pass crypto::minimum_limits().
    crypto::PwhashLimits password_limits = crypto::interactive_limits();
};

// Where a request came from, as the server saw it. login keeps both in the
// session (the user agent cut to 512 bytes) and keys its rate limits on `ip`;
// refresh logs `ip` when it ends a session for token reuse. Free text: the
// server passes an address it trusts (its peer, or a vetted proxy header).
struct ClientInfo {
    std::string ip;
    std::string user_agent;
};

// A device registered together with the login (the agent's enrolment).
struct NewDeviceSpec {
    std::string name;  // validate_device_name
    DeviceType device_type = DeviceType::agent;
    Bytes public_key;  // X25519, exactly 32 bytes
};

// At most one of device_id / new_device. Neither: a device named "browser" of
// type browser without a public key is created for the session (a web page
// that has no key pair yet); every session belongs to a device.
struct LoginRequest {
    std::string email;
    std::string password;  // never logged; not wiped either
    ClientInfo client;
    std::optional<std::string> device_id;  // an existing, unrevoked device of the account
    std::optional<NewDeviceSpec> new_device;
};

// What login and refresh hand to the client.
struct AuthTokens {
    std::string access_token;        // JWT, send as "Authorization: Bearer ..."
    Timestamp access_expires_at{};   // the JWT's exp
    std::string refresh_token;       // single use: each refresh returns the next one
    Timestamp refresh_expires_at{};  // the session's end; each refresh slides it (see AuthOptions)
    std::string account_id;
    std::string device_id;
    std::string session_id;
};

// Who an authenticated request acts for.
struct Principal {
    std::string account_id;
    std::string device_id;
    std::string session_id;

    friend bool operator==(const Principal&, const Principal&) = default;
};

// Registration, login, token refresh, per-request authentication and logout
// (DESIGN: Auth). Token formats and flows: docs/security.md, "Tokens and
// sessions".
//
// Blocking: every call does Redis round trips; register_account and login
// also hash with Argon2id (~0.1 s with the default limits) and query Postgres.
// The server runs them on its worker pool, never on an io_context thread.
//
// Ending access publishes on es:revocations after the session is deleted, as
// SessionService does. Infrastructure failures throw (ConnectionError /
// StorageError) unchanged. Holds references only: the repositories, the
// limiter and the publisher must outlive it. Thread-safe when they are.
class AuthService {
  public:
    AuthService(AccountRepository& accounts, DeviceRepository& devices, SessionRepository& sessions,
                RateLimiter& limiter, Publisher& publisher, auth::JwtKey key,
                AuthOptions options = {});

    // AccountService::create's rules, no quota. Errors: invalid_email,
    // weak_password, email_taken (any letter case).
    [[nodiscard]] ServiceResult<Account> register_account(std::string_view email,
                                                          std::string_view password);

    // Errors, checked in this order:
    //  invalid_email (malformed email; no attempt counted),
    //  invalid_argument (both device_id and new_device),
    //  rate_limited (per email+ip, then per ip; every attempt counts),
    //  invalid_credentials (unknown or deleted account, wrong password — one
    //      Argon2id check either way),
    //  account_disabled (only after the right password),
    //  invalid_argument / not_found / revoked (device: malformed new device,
    //      unknown device id, revoked device).
    // A successful login resets the email+ip counter and rehashes the
    // password if it was hashed with other limits than the options'.
    [[nodiscard]] ServiceResult<AuthTokens> login(const LoginRequest& request);

    // Trades a refresh token for a new access token and the next refresh
    // token (rotation; the session's last_used_at is updated). Errors:
    //  invalid_token: not one of our tokens, session gone or expired, or the
    //      token was already used — then the session is ended and announced,
    //      since either it or its successor is in the wrong hands;
    //  account_disabled / revoked: the session is ended too;
    //  an unknown or deleted account or device: invalid_token, session ended.
    [[nodiscard]] ServiceResult<AuthTokens> refresh(std::string_view refresh_token,
                                                    const ClientInfo& client);

    // Every authenticated request: verifies the access token, then that its
    // session es:{sub}:session:{sid} still exists and belongs to device `did`
    // (so logout, purge, device revoke, disable take effect at once). One
    // Redis GET. Error: invalid_token (message says why: expired, session
    // ended, ...).
    [[nodiscard]] ServiceResult<Principal> authenticate(std::string_view access_token,
                                                        Timestamp at = now());
    // authenticate() in two steps, for a caller that fetches the session
    // itself without blocking (the server's I/O threads): first the token
    // alone (no I/O), then the session stored under
    // keys::session_key(claims.sub, claims.sid) (nullopt: none).
    [[nodiscard]] ServiceResult<auth::AccessClaims> verify_access_token(
        std::string_view access_token, Timestamp at = now()) const;
    [[nodiscard]] static ServiceResult<Principal> principal_for(
        auth::AccessClaims claims, const std::optional<Session>& session);

    // Ends the principal's session and publishes {"session":..}. True if it
    // was still there (logging out twice is not an error).
    bool logout(const Principal& principal);

    [[nodiscard]] const AuthOptions& options() const noexcept { return m_options; }

  private:
    // Device for a login whose credentials are already checked.
    [[nodiscard]] ServiceResult<Device> login_device(const Account& account,
                                                     const LoginRequest& request);
    [[nodiscard]] ServiceResult<void> check_rate_limits(const std::string& email_key,
                                                        const std::string& ip);
    // The account exists, is not deleted nor disabled (and, when
    // `password_hash` is given, still has that hash), and the device exists
    // and is not revoked. Errors: `gone` for a missing or deleted account or
    // device or a changed password, account_disabled, revoked.
    [[nodiscard]] ServiceResult<void> check_access(const std::string& account_id,
                                                   const std::string& device_id,
                                                   ServiceErrorCode gone,
                                                   const std::string* password_hash = nullptr);
    // Deletes the session and announces it.
    void end_session(const std::string& account_id, const std::string& session_id);
    [[nodiscard]] AuthTokens tokens_for(const std::string& account_id, const std::string& device_id,
                                        const std::string& session_id, Timestamp session_end,
                                        std::string refresh_token, Timestamp at) const;

    AccountRepository& m_accounts;
    DeviceRepository& m_devices;
    SessionRepository& m_sessions;
    RateLimiter& m_limiter;
    Publisher& m_publisher;
    AccountService m_account_rules;  // registration
    const auth::JwtKey m_key;
    const AuthOptions m_options;
};

}  // namespace edgesync
