#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "shared/models/presence.hpp"

namespace edgesync {

inline constexpr std::chrono::seconds k_presence_ttl{60};

// Presence lives in Redis under es:{aid}:presence:{did} with a TTL.
// Implementations are thread-safe.
class PresenceRepository {
public:
    virtual ~PresenceRepository() = default;

    virtual void set(const std::string& account_id, const Presence& p,
                     std::chrono::seconds ttl = k_presence_ttl) = 0;
    virtual void remove(const std::string& account_id, const std::string& device_id) = 0;
    // One round trip; result[i] belongs to device_ids[i] (nullopt = offline).
    [[nodiscard]] virtual std::vector<std::optional<Presence>> get_many(
        const std::string& account_id, const std::vector<std::string>& device_ids) = 0;
    // Every device of the account that is online now.
    [[nodiscard]] virtual std::vector<Presence> list(const std::string& account_id) = 0;
};

}  // namespace edgesync
