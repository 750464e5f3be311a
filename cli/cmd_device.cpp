// `edgesync device ...`: an account's devices through DeviceService. Output
// shapes are documented in docs/cli.md (device).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "cli/admin_output.hpp"
#include "cli/admin_services.hpp"
#include "cli/console.hpp"
#include "cli/groups.hpp"
#include "shared/services/device_service.hpp"
#include "shared/services/session_service.hpp"

namespace edgesync::cli {
namespace {

using nlohmann::json;

const OptionSpec k_yes{.names = "-y,--yes", .help = "Do not ask for confirmation"};
// Devices are named within an account: names repeat across accounts, and
// every device query is scoped to one (DESIGN: scaling out).
const OptionSpec k_account{.names = "--account",
                           .help = "The device's account: id (UUID) or email (required)",
                           .takes_value = true,
                           .value_name = "ACCOUNT"};
const ArgSpec k_device_arg{
    .name = "DEVICE", .help = "Device id (UUID) or name within the account", .required = true};

std::string require_account_option(const Invocation& inv) {
    if (auto ref = inv.value("account")) return *ref;
    throw UsageError("--account is required (devices are named within an account)");
}

std::string device_label(const Device& d) { return fmt::format("'{}' ({})", d.name, d.id); }

ExitCode device_list(const Invocation& inv) {
    const auto& context = inv.context();
    AdminServices services(context);
    const auto account = services.account(require_account_option(inv));
    const auto devices = services.devices().list(account.id);
    if (context.json) {
        json list = json::array();
        for (const auto& d : devices) list.push_back(device_json(d));
        print_json({{"account", account_ref_json(account)}, {"devices", std::move(list)}});
        return ExitCode::ok;
    }
    if (devices.empty()) {
        print_line(fmt::format("no devices in account {}", account.email));
        return ExitCode::ok;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : devices)
        rows.push_back({d.id, d.name, std::string(to_string(d.device_type)),
                        human_time(d.created_at), human_time(d.last_seen_at, "never"),
                        std::string(device_status(d))});
    fmt::print("{}", format_table({"ID", "NAME", "TYPE", "CREATED", "LAST SEEN", "STATUS"}, rows));
    return ExitCode::ok;
}

ExitCode device_show(const Invocation& inv) {
    const auto& context = inv.context();
    AdminServices services(context);
    const auto account = services.account(require_account_option(inv));
    const auto d = services.device(account, *inv.value("DEVICE"));
    const auto sessions = services.sessions().list_device(account.id, d.id).size();
    if (context.json) {
        print_json({{"account", account_ref_json(account)},
                    {"device", device_json(d)},
                    {"sessions", sessions}});
        return ExitCode::ok;
    }
    std::vector<std::pair<std::string, std::string>> fields{
        {"Device", d.id},
        {"Name", d.name},
        {"Account", fmt::format("{} ({})", account.email, account.id)},
        {"Type", std::string(to_string(d.device_type))},
        {"Status", std::string(device_status(d))},
        {"Created", human_time(d.created_at)},
        {"Last seen", human_time(d.last_seen_at, "never")}};
    if (d.revoked_at) fields.emplace_back("Revoked", human_time(d.revoked_at));
    fields.emplace_back("Public key", d.public_key.empty() ? "none" : "set");
    fields.emplace_back("Key version", std::to_string(d.key_version));
    fields.emplace_back("Sessions", fmt::format("{} live", sessions));
    print_fields(fields);
    return ExitCode::ok;
}

ExitCode device_rename(const Invocation& inv) {
    const auto& context = inv.context();
    AdminServices services(context);
    const auto account = services.account(require_account_option(inv));
    const auto before = services.device(account, *inv.value("DEVICE"));
    const auto after = take(services.devices().rename(account.id, before.id, *inv.value("NAME")));
    if (context.json)
        print_json({{"device", device_json(after)}, {"previous_name", before.name}});
    else
        print_line(
            fmt::format("renamed device {} from '{}' to '{}'", after.id, before.name, after.name));
    return ExitCode::ok;
}

ExitCode revoke_one(const Invocation& inv) {
    const auto& context = inv.context();
    AdminServices services(context);
    const auto account = services.account(require_account_option(inv));
    const auto d = services.device(account, *inv.value("DEVICE"));
    services.require_redis();
    confirm_or_abort(
        context,
        fmt::format("revoke device {} of {} and end its sessions", device_label(d), account.email),
        inv.flag("yes"));
    const auto r = take(services.devices().revoke(account.id, d.id));
    if (context.json) {
        print_json({{"device", device_json(r.device)},
                    {"already_revoked", r.already_revoked},
                    {"sessions_ended", r.sessions_ended}});
        return ExitCode::ok;
    }
    print_line(fmt::format("{} device {}; ended {} session(s)",
                           r.already_revoked ? "already revoked:" : "revoked",
                           device_label(r.device), r.sessions_ended));
    return ExitCode::ok;
}

ExitCode revoke_all(const Invocation& inv, const std::string& account_ref) {
    const auto& context = inv.context();
    AdminServices services(context);
    const auto account = services.account(account_ref);
    services.require_redis();
    const auto devices = services.devices().list(account.id);
    const auto live =
        std::count_if(devices.begin(), devices.end(), [](const Device& d) { return !d.revoked(); });
    confirm_or_abort(context,
                     fmt::format("revoke all {} active device(s) of {} ({}) and end their sessions",
                                 live, account.email, account.id),
                     inv.flag("yes"));
    const auto r = take(services.devices().revoke_all(account.id));
    if (context.json) {
        print_json({{"account", account_ref_json(account)},
                    {"devices_revoked", r.devices_revoked},
                    {"sessions_ended", r.sessions_ended}});
        return ExitCode::ok;
    }
    print_line(fmt::format("revoked {} device(s) of {}; ended {} session(s)", r.devices_revoked,
                           account.email, r.sessions_ended));
    return ExitCode::ok;
}

ExitCode device_revoke(const Invocation& inv) {
    const auto all = inv.value("all-for-account");
    const bool one = inv.value("DEVICE").has_value();
    if (all && (one || inv.value("account")))
        throw UsageError("revoke takes DEVICE --account A, or --all-for-account A, not both");
    if (all) return revoke_all(inv, *all);
    if (!one) throw UsageError("revoke needs DEVICE --account A, or --all-for-account A");
    return revoke_one(inv);
}

}  // namespace

GroupSpec device_group() {
    return GroupSpec{
        .name = "device",
        .help = "List, inspect, rename and revoke an account's devices",
        .commands = {
            {.name = "list",
             .help = "List the devices of an account (revoked ones too)",
             .options = {k_account},
             .run = device_list},
            {.name = "show",
             .help = "Show one device and how many live sessions it has",
             .args = {k_device_arg},
             .options = {k_account},
             .run = device_show},
            {.name = "rename",
             .help = "Rename a device",
             .args = {k_device_arg, {.name = "NAME", .help = "The new name", .required = true}},
             .options = {k_account},
             .run = device_rename},
            {.name = "revoke",
             .help = "Revoke a device (or all of an account's), end its sessions, drop its "
                     "live connections (asks first)",
             .args = {{.name = "DEVICE", .help = "Device id (UUID) or name within the account"}},
             .options = {k_account,
                         {.names = "--all-for-account",
                          .help = "Revoke every device of this account (id or email)",
                          .takes_value = true,
                          .value_name = "ACCOUNT"},
                         k_yes},
             .run = device_revoke},
        }};
}

}  // namespace edgesync::cli
