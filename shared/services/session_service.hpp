#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "shared/models/session.hpp"
#include "shared/repositories/session_repository.hpp"
#include "shared/services/service_error.hpp"

namespace edgesync {

class Publisher;

// Session administration shared by the admin CLI and the server (logout,
// "log out other devices"). Sessions live in Redis only. Every call that ends
// sessions also publishes on es:revocations, after they are gone, so servers
// drop the live connections at once:
//   revoke        {"session":sid,"account":aid}
//   purge_device  {"device":did,"account":aid}
//   purge_account {"account":aid}
// (published even when nothing was ended: a connection may outlive its
// session's key, and the notice is harmless).
//
// Holds references only (they must outlive it); thread-safe when they are.
class SessionService {
  public:
    SessionService(SessionRepository& sessions, Publisher& publisher);

    // Live sessions of the account (expired index entries are dropped on the way).
    [[nodiscard]] std::vector<Session> list(const std::string& account_id);
    // Error: not_found (also when the session belongs to another account).
    [[nodiscard]] ServiceResult<Session> get(const std::string& account_id,
                                             const std::string& session_id);
    // Ends one session. Error: not_found (nothing is published then).
    [[nodiscard]] ServiceResult<void> revoke(const std::string& account_id,
                                             const std::string& session_id);
    // Ends every session of the account / of one device; returns how many.
    std::size_t purge_account(const std::string& account_id);
    std::size_t purge_device(const std::string& account_id, const std::string& device_id);
    // One sweep over every account's index sets (`session gc`).
    SweepStats gc();

  private:
    SessionRepository& m_sessions;
    Publisher& m_publisher;
};

}  // namespace edgesync
