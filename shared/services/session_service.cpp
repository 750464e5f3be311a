#include "shared/services/session_service.hpp"

#include <utility>

#include "shared/services/revocation.hpp"

namespace edgesync {

SessionService::SessionService(SessionRepository& sessions, Publisher& publisher)
    : m_sessions(sessions), m_publisher(publisher) {}

std::vector<Session> SessionService::list(const std::string& account_id) {
    return m_sessions.list(account_id);
}

ServiceResult<Session> SessionService::get(const std::string& account_id,
                                           const std::string& session_id) {
    auto s = m_sessions.get(account_id, session_id);
    if (!s)
        return service_error(ServiceErrorCode::not_found,
                             "no live session " + session_id + " in this account");
    return std::move(*s);
}

ServiceResult<void> SessionService::revoke(const std::string& account_id,
                                           const std::string& session_id) {
    if (!m_sessions.remove(account_id, session_id))
        return service_error(ServiceErrorCode::not_found,
                             "no live session " + session_id + " in this account");
    publish_revocation(m_publisher, RevocationNotice::for_session(account_id, session_id));
    return {};
}

std::size_t SessionService::purge_account(const std::string& account_id) {
    const std::size_t ended = m_sessions.remove_all(account_id);
    publish_revocation(m_publisher, RevocationNotice::for_account(account_id));
    return ended;
}

std::size_t SessionService::purge_device(const std::string& account_id,
                                         const std::string& device_id) {
    const std::size_t ended = m_sessions.remove_by_device(account_id, device_id);
    publish_revocation(m_publisher, RevocationNotice::for_device(account_id, device_id));
    return ended;
}

SweepStats SessionService::gc() { return m_sessions.sweep(); }

}  // namespace edgesync
