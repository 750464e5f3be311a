#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "shared/models/device.hpp"
#include "shared/services/service_error.hpp"

namespace edgesync {

class AccountRepository;
class DeviceRepository;
class SessionRepository;
class Publisher;

struct DeviceRevocation {
    Device device;                 // as stored now (revoked_at set)
    bool already_revoked = false;  // it was revoked before this call
    std::size_t sessions_ended = 0;
};

struct DevicesRevoked {
    std::size_t devices_revoked = 0;  // revoked by this call
    std::size_t sessions_ended = 0;   // of every revoked device, stale ones included
};

// Device rules shared by the admin CLI and the server. Every call is scoped to
// one account: a device of another account is not_found.
//
// Revocation order as in AccountService: Postgres, then the device's sessions
// in Redis, then {"device":..,"account":..} on es:revocations. Idempotent, so
// retry after an infrastructure exception.
//
// Holds references only (they must outlive it); thread-safe when they are.
class DeviceService {
  public:
    DeviceService(AccountRepository& accounts, DeviceRepository& devices,
                  SessionRepository& sessions, Publisher& publisher);

    // A device named by its id (a UUID, any case) or by its exact name within
    // the account (revoked devices included). A UUID that is no device id is
    // tried as a name too. Errors: not_found; ambiguous when several devices
    // carry the name, with `candidates` = "<id>  <name>[  [revoked]]" each.
    [[nodiscard]] ServiceResult<Device> resolve(const std::string& account_id,
                                                std::string_view ref);

    // validate_device_name, then rename (revoked devices too: they keep their
    // row for audit). Errors: invalid_argument, not_found.
    [[nodiscard]] ServiceResult<Device> rename(const std::string& account_id,
                                               const std::string& device_id,
                                               const std::string& name);

    // Revokes the device (clears its wrapped account key), ends its sessions
    // and publishes. Revoking a revoked device is not an error: it still ends
    // any session left and publishes again. Error: not_found.
    [[nodiscard]] ServiceResult<DeviceRevocation> revoke(const std::string& account_id,
                                                         const std::string& device_id);

    // Revokes every device of the account and ends the sessions of every
    // revoked device (stale ones of devices revoked earlier too). Publishes
    // one notice per device revoked now or with sessions ended. Error:
    // not_found for a missing or deleted account.
    [[nodiscard]] ServiceResult<DevicesRevoked> revoke_all(const std::string& account_id);

  private:
    void publish(const std::string& account_id, const std::string& device_id);

    AccountRepository& m_accounts;
    DeviceRepository& m_devices;
    SessionRepository& m_sessions;
    Publisher& m_publisher;
};

}  // namespace edgesync
