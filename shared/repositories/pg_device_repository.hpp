#pragma once

#include "shared/repositories/device_repository.hpp"

namespace edgesync {

class PgPool;

// DeviceRepository over Postgres. Every statement filters by account_id, so a
// device of another account is "not found". Devices with deleted_at set are
// invisible. Ids that are not UUIDs are "not found". Thread-safe; `pool` must
// outlive the repository.
class PgDeviceRepository final : public DeviceRepository {
public:
    explicit PgDeviceRepository(PgPool& pool);

    [[nodiscard]] std::expected<Device, DeviceError> create(const NewDevice& d) override;
    [[nodiscard]] std::optional<Device> find(const std::string& account_id,
                                             const std::string& device_id) override;
    [[nodiscard]] std::vector<Device> find_by_name(const std::string& account_id,
                                                   const std::string& name) override;
    [[nodiscard]] std::vector<Device> list(const std::string& account_id,
                                           bool include_revoked = true) override;
    // Renaming a revoked device is allowed (it keeps its row for audit).
    [[nodiscard]] std::expected<Device, DeviceError> rename(const std::string& account_id,
                                                            const std::string& device_id,
                                                            const std::string& name) override;
    [[nodiscard]] std::expected<Device, DeviceError> revoke(const std::string& account_id,
                                                            const std::string& device_id) override;
    [[nodiscard]] std::vector<std::string> revoke_all(const std::string& account_id) override;
    // Never moves last_seen_at backwards; a missing device is ignored.
    void touch_last_seen(const std::string& account_id, const std::string& device_id,
                         Timestamp at) override;
    [[nodiscard]] std::expected<Device, DeviceError> set_wrapped_key(
        const std::string& account_id, const std::string& device_id, const Bytes& wrapped,
        std::int32_t key_version) override;

private:
    [[nodiscard]] std::vector<Device> query_list(const char* statement,
                                                 const std::string& account_id,
                                                 const std::string& arg);
    PgPool& m_pool;
};

}  // namespace edgesync
