// AuthService: what happens to a session after login — refresh, per-request
// authentication, logout. (Registration and login: auth_service.cpp.)

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "shared/auth/refresh_token.hpp"
#include "shared/crypto/byte_view.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/repositories/session_repository.hpp"
#include "shared/services/auth_service.hpp"
#include "shared/services/revocation.hpp"

namespace edgesync {
namespace {

std::unexpected<ServiceError> invalid_token(std::string message) {
    return service_error(ServiceErrorCode::invalid_token, std::move(message));
}

std::unexpected<ServiceError> session_ended() { return invalid_token("the session has ended"); }

std::unexpected<ServiceError> refresh_reused() {
    return invalid_token("the refresh token was already used; the session is ended");
}

}  // namespace

ServiceResult<AuthTokens> AuthService::refresh(std::string_view refresh_token,
                                               const ClientInfo& client) {
    const auto ids = auth::parse_refresh_token(m_key, refresh_token);
    if (!ids) return invalid_token("the refresh token is not valid");
    const auto& aid = ids->account_id;
    const auto& sid = ids->session_id;
    const auto session = m_sessions.get(aid, sid);
    if (!session) return session_ended();

    const std::string presented = auth::refresh_token_hash(refresh_token);
    // The tag proved we minted this token, so a hash that is not the current
    // one means a rotated token came back: it, or its successor, was stolen.
    if (!crypto::equal(crypto::as_bytes(presented), crypto::as_bytes(session->refresh_hash))) {
        spdlog::warn("refresh token reuse: ending session {} of account {} (request from {})", sid,
                     aid, client.ip);
        end_session(aid, sid);
        return refresh_reused();
    }
    if (auto ok = check_access(aid, session->device_id, ServiceErrorCode::invalid_token); !ok) {
        end_session(aid, sid);
        return std::unexpected(std::move(ok.error()));
    }

    std::string next = auth::make_refresh_token(m_key, aid, sid);
    const Timestamp at = now();
    const Timestamp session_end =
        std::min(at + m_options.session_ttl, session->created_at + m_options.session_max_lifetime);
    if (session_end <= at) {  // past its maximum lifetime: log in again
        end_session(aid, sid);
        return session_ended();
    }
    if (!m_sessions.rotate_refresh(*session, auth::refresh_token_hash(next), session_end)) {
        // Another request rotated this same token first (or the session just
        // ended): two holders of one token, handled as reuse.
        spdlog::warn("concurrent refresh: ending session {} of account {} (request from {})", sid,
                     aid, client.ip);
        end_session(aid, sid);
        return refresh_reused();
    }
    return tokens_for(aid, session->device_id, sid, session_end, std::move(next), at);
}

ServiceResult<auth::AccessClaims> AuthService::verify_access_token(std::string_view access_token,
                                                                  Timestamp at) const {
    auto claims = auth::verify_access_token(m_key, access_token, at, m_options.issuer);
    if (!claims) {
        if (claims.error() == auth::TokenError::expired)
            return invalid_token("the access token has expired");
        return invalid_token("the access token is not valid (" +
                             std::string(auth::to_string(claims.error())) + ")");
    }
    return std::move(*claims);
}

ServiceResult<Principal> AuthService::principal_for(auth::AccessClaims claims,
                                                    const std::optional<Session>& session) {
    if (!session || session->device_id != claims.did) return session_ended();
    return Principal{std::move(claims.sub), std::move(claims.did), std::move(claims.sid)};
}

ServiceResult<Principal> AuthService::authenticate(std::string_view access_token, Timestamp at) {
    auto claims = verify_access_token(access_token, at);
    if (!claims) return std::unexpected(std::move(claims.error()));
    // The live-session check (DESIGN: Auth). The key carries the token's own
    // sub, so a token can only ever name a session of its own account.
    const auto session = m_sessions.get(claims->sub, claims->sid);
    return principal_for(std::move(*claims), session);
}

bool AuthService::logout(const Principal& principal) {
    const bool ended = m_sessions.remove(principal.account_id, principal.session_id);
    publish_revocation(m_publisher,
                       RevocationNotice::for_session(principal.account_id, principal.session_id));
    return ended;
}

void AuthService::end_session(const std::string& account_id, const std::string& session_id) {
    m_sessions.remove(account_id, session_id);
    publish_revocation(m_publisher, RevocationNotice::for_session(account_id, session_id));
}

}  // namespace edgesync
