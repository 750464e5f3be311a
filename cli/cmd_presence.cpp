// `edgesync presence list`: which of an account's devices are connected now.
// Devices come from Postgres, presence from Redis (one MGET); a device without
// a presence key is offline. Shapes: docs/cli.md (presence).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/account_ref.hpp"
#include "cli/admin_output.hpp"
#include "cli/console.hpp"
#include "cli/groups.hpp"
#include "cli/stores.hpp"
#include "shared/repositories/device_repository.hpp"
#include "shared/repositories/presence_repository.hpp"

namespace edgesync::cli {
namespace {

using nlohmann::json;

// One device's line: its row joined with its presence.
struct DevicePresence {
    Device device;
    std::optional<Presence> presence;  // nullopt: offline

    // "online" / "away" from the device's heartbeat, "offline" without one,
    // "revoked" for a revoked device whatever its last heartbeat said.
    [[nodiscard]] std::string status() const {
        if (device.revoked()) return "revoked";
        return presence ? presence->status : "offline";
    }
    // The heartbeat's time when online, else what Postgres last recorded.
    [[nodiscard]] std::optional<Timestamp> last_seen() const {
        if (presence) return presence->last_seen;
        return device.last_seen_at;
    }
};

Tone tone_of(const std::string& status) {
    if (status == "online") return Tone::good;
    if (status == "away") return Tone::warn;
    return Tone::dim;
}

ExitCode presence_list(const Context& context, const std::string& account_ref) {
    Stores stores(context);
    const auto account = resolve_account(stores.accounts(), account_ref);
    const auto devices = stores.devices().list(account.id, true);
    std::vector<std::string> ids;
    for (const auto& d : devices) ids.push_back(d.id);
    const auto presences = stores.presence().get_many(account.id, ids);
    std::vector<DevicePresence> rows;
    for (std::size_t i = 0; i < devices.size(); ++i) rows.push_back({devices[i], presences[i]});

    if (context.json) {
        json list = json::array();
        for (const auto& r : rows)
            list.push_back({{"device_id", r.device.id},
                            {"name", r.device.name},
                            {"type", to_string(r.device.device_type)},
                            {"status", r.status()},
                            {"online", r.presence.has_value() && !r.device.revoked()},
                            {"last_seen", time_json(r.last_seen())},
                            {"server", r.presence ? json(r.presence->server) : json(nullptr)},
                            {"revoked", r.device.revoked()}});
        print_json({{"account", account_ref_json(account)}, {"devices", std::move(list)}});
        return ExitCode::ok;
    }
    if (rows.empty()) {
        print_line(fmt::format("account {} has no devices", printable(account.email)));
        return ExitCode::ok;
    }
    std::vector<std::vector<std::string>> table;
    for (const auto& r : rows) {
        const auto status = r.status();
        const auto seen = r.last_seen();
        table.push_back(
            {r.device.id, printable(r.device.name), std::string(to_string(r.device.device_type)),
             paint(context, tone_of(status), status), seen ? human_time(*seen) : "never",
             r.presence ? printable(r.presence->server) : ""});
    }
    fmt::print("{}",
               format_table({"DEVICE", "NAME", "TYPE", "STATUS", "LAST SEEN", "SERVER"}, table));
    std::fflush(stdout);
    return ExitCode::ok;
}

}  // namespace

GroupSpec presence_group() {
    return GroupSpec{
        .name = "presence",
        .help = "Show which devices of an account are connected",
        .commands = {
            {.name = "list",
             .help = "Every device of the account with its status and when it was last seen",
             .options = {account_option()},
             .run =
                 [](const Invocation& inv) {
                     return presence_list(inv.context(), *inv.value("account"));
                 }},
        }};
}

}  // namespace edgesync::cli
