#include "shared/services/device_service.hpp"

#include <unordered_set>
#include <vector>

#include "shared/repositories/account_repository.hpp"
#include "shared/repositories/device_repository.hpp"
#include "shared/repositories/session_repository.hpp"
#include "shared/services/revocation.hpp"
#include "shared/services/validation.hpp"
#include "shared/util/uuid.hpp"

namespace edgesync {
namespace {

std::unexpected<ServiceError> no_device(const std::string& device_id) {
    return service_error(ServiceErrorCode::not_found,
                         "no device " + device_id + " in this account");
}

std::unexpected<ServiceError> from_repo(DeviceError e, const std::string& device_id) {
    switch (e) {
        case DeviceError::account_not_found:
            return service_error(ServiceErrorCode::not_found, "no such account");
        case DeviceError::not_found:
            return no_device(device_id);
        case DeviceError::revoked:
            return service_error(ServiceErrorCode::revoked, "device " + device_id + " is revoked");
    }
    return no_device(device_id);
}

}  // namespace

DeviceService::DeviceService(AccountRepository& accounts, DeviceRepository& devices,
                             SessionRepository& sessions, Publisher& publisher)
    : m_accounts(accounts), m_devices(devices), m_sessions(sessions), m_publisher(publisher) {}

ServiceResult<Device> DeviceService::resolve(const std::string& account_id, std::string_view ref) {
    if (is_uuid(ref))
        if (auto d = m_devices.find(account_id, to_lower_ascii(ref))) return std::move(*d);
    auto matches = m_devices.find_by_name(account_id, std::string(ref));
    if (matches.size() == 1) return std::move(matches.front());
    if (matches.empty())
        return service_error(
            ServiceErrorCode::not_found,
            "no device with id or name '" + std::string(ref) + "' in this account");
    ServiceError e{ServiceErrorCode::ambiguous,
                   std::to_string(matches.size()) + " devices are named '" + std::string(ref) +
                       "': name one by id",
                   {}};
    for (const auto& d : matches)
        e.candidates.push_back(d.id + "  " + d.name + (d.revoked() ? "  [revoked]" : ""));
    return std::unexpected(std::move(e));
}

ServiceResult<Device> DeviceService::rename(const std::string& account_id,
                                            const std::string& device_id, const std::string& name) {
    if (auto valid = validate_device_name(name); !valid) return std::unexpected(valid.error());
    auto renamed = m_devices.rename(account_id, device_id, name);
    if (!renamed) return from_repo(renamed.error(), device_id);
    return std::move(*renamed);
}

ServiceResult<DeviceRevocation> DeviceService::revoke(const std::string& account_id,
                                                      const std::string& device_id) {
    // Read first only to report already_revoked; revoke() itself is idempotent.
    const auto before = m_devices.find(account_id, device_id);
    if (!before) return no_device(device_id);
    auto revoked = m_devices.revoke(account_id, device_id);
    if (!revoked) return from_repo(revoked.error(), device_id);
    DeviceRevocation r{std::move(*revoked), before->revoked(), 0};
    r.sessions_ended = m_sessions.remove_by_device(account_id, device_id);
    publish(account_id, device_id);
    return r;
}

ServiceResult<DevicesRevoked> DeviceService::revoke_all(const std::string& account_id) {
    const auto account = m_accounts.find_by_id(account_id);
    if (!account || account->deleted())
        return service_error(ServiceErrorCode::not_found, "no account with id " + account_id);
    const auto now_revoked = m_devices.revoke_all(account_id);
    const std::unordered_set<std::string> fresh(now_revoked.begin(), now_revoked.end());
    DevicesRevoked r{now_revoked.size(), 0};
    // Every revoked device, not only the fresh ones: an earlier revoke may have
    // been cut short before its sessions were ended.
    for (const auto& d : m_devices.list(account_id, /*include_revoked=*/true)) {
        if (!d.revoked()) continue;  // registered after revoke_all: left alone
        const std::size_t ended = m_sessions.remove_by_device(account_id, d.id);
        r.sessions_ended += ended;
        if (ended > 0 || fresh.contains(d.id)) publish(account_id, d.id);
    }
    return r;
}

void DeviceService::publish(const std::string& account_id, const std::string& device_id) {
    publish_revocation(m_publisher, RevocationNotice::for_device(account_id, device_id));
}

}  // namespace edgesync
