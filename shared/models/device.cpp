#include "shared/models/device.hpp"

#include <array>
#include <utility>

namespace edgesync {
namespace {
constexpr std::array<std::pair<DeviceType, std::string_view>, 5> k_device_types{{
    {DeviceType::mobile, "mobile"},
    {DeviceType::desktop, "desktop"},
    {DeviceType::browser, "browser"},
    {DeviceType::server, "server"},
    {DeviceType::agent, "agent"},
}};
}  // namespace

std::string_view to_string(DeviceType t) {
    for (const auto& [type, name] : k_device_types)
        if (type == t) return name;
    return "agent";
}

std::optional<DeviceType> parse_device_type(std::string_view text) {
    for (const auto& [type, name] : k_device_types)
        if (name == text) return type;
    return std::nullopt;
}

}  // namespace edgesync
