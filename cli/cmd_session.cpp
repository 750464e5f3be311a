// `edgesync session ...`: login sessions (in Redis) through SessionService.
// Output shapes are documented in docs/cli.md (session).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>
#include <optional>

#include "cli/admin_output.hpp"
#include "cli/admin_services.hpp"
#include "cli/console.hpp"
#include "cli/groups.hpp"
#include "shared/services/session_service.hpp"
#include "shared/services/validation.hpp"
#include "shared/util/uuid.hpp"

namespace edgesync::cli {
namespace {

using nlohmann::json;

const OptionSpec k_yes{.names = "-y,--yes", .help = "Do not ask for confirmation"};
// Sessions live under es:{aid}:...: every lookup names its account.
const OptionSpec k_account{.names = "--account",
                           .help = "The account: id (UUID) or email (required)",
                           .takes_value = true,
                           .value_name = "ACCOUNT"};
const OptionSpec k_device{.names = "--device",
                          .help = "Only this device of the account: id (UUID) or name",
                          .takes_value = true,
                          .value_name = "DEVICE"};
const ArgSpec k_sid_arg{.name = "SID", .help = "Session id (a UUID)", .required = true};

std::string require_account_option(const Invocation& inv) {
    if (auto ref = inv.value("account")) return *ref;
    throw UsageError("--account is required (sessions are kept per account)");
}

std::string session_id_arg(const Invocation& inv) {
    const auto arg = *inv.value("SID");
    const auto sid = trim_ascii_space(arg);
    if (!is_uuid(sid))
        throw UsageError(fmt::format("malformed session id '{}': session ids are UUIDs", sid));
    return to_lower_ascii(sid);
}

std::optional<std::string> name_of(const std::map<std::string, std::string>& names,
                                   const std::string& device_id) {
    const auto it = names.find(device_id);
    if (it == names.end()) return std::nullopt;
    return it->second;
}

ExitCode session_list(const Invocation& inv) {
    const auto& context = inv.context();
    AdminServices services(context);
    const auto account = services.account(require_account_option(inv));
    std::optional<Device> device;
    if (const auto ref = inv.value("device")) device = services.device(account, *ref);
    const auto sessions = device ? services.sessions().list_device(account.id, device->id)
                                 : services.sessions().list(account.id);
    const auto names = services.device_names(account.id);
    const auto at = now();
    if (context.json) {
        json list = json::array();
        for (const auto& s : sessions)
            list.push_back(session_json(s, name_of(names, s.device_id), at));
        print_json(
            {{"account", account_ref_json(account)},
             {"device", device ? json{{"id", device->id}, {"name", device->name}} : json(nullptr)},
             {"sessions", std::move(list)}});
        return ExitCode::ok;
    }
    if (sessions.empty()) {
        print_line(fmt::format("no live sessions for {}{}", account.email,
                               device ? " on device '" + device->name + "'" : ""));
        return ExitCode::ok;
    }
    std::vector<std::vector<std::string>> rows;
    rows.reserve(sessions.size());
    for (const auto& s : sessions)
        rows.push_back({s.id, name_of(names, s.device_id).value_or(s.device_id),
                        human_time(s.created_at), human_time(s.expires_at),
                        human_duration(std::chrono::seconds(seconds_left(s.expires_at, at))),
                        human_time(s.last_used_at), s.ip.empty() ? "-" : s.ip});
    fmt::print(
        "{}", format_table({"ID", "DEVICE", "CREATED", "EXPIRES", "TTL", "LAST USED", "IP"}, rows));
    print_line(fmt::format("{} live session(s)", sessions.size()));
    return ExitCode::ok;
}

ExitCode session_show(const Invocation& inv) {
    const auto& context = inv.context();
    AdminServices services(context);
    const auto sid = session_id_arg(inv);
    const auto account = services.account(require_account_option(inv));
    const auto s = take(services.sessions().get(account.id, sid));
    const auto device_name = name_of(services.device_names(account.id), s.device_id);
    const auto at = now();
    if (context.json) {
        print_json({{"account", account_ref_json(account)},
                    {"session", session_json(s, device_name, at)}});
        return ExitCode::ok;
    }
    print_fields({{"Session", s.id},
                  {"Account", fmt::format("{} ({})", account.email, account.id)},
                  {"Device", fmt::format("{} ({})", device_name.value_or("unknown"), s.device_id)},
                  {"Created", human_time(s.created_at)},
                  {"Last used", human_time(s.last_used_at)},
                  {"Expires", human_time(s.expires_at)},
                  {"TTL", human_duration(std::chrono::seconds(seconds_left(s.expires_at, at)))},
                  {"IP", s.ip.empty() ? "-" : s.ip},
                  {"User agent", s.user_agent.empty() ? "-" : s.user_agent}});
    return ExitCode::ok;
}

ExitCode session_revoke(const Invocation& inv) {
    const auto& context = inv.context();
    AdminServices services(context);
    const auto sid = session_id_arg(inv);
    const auto account = services.account(require_account_option(inv));
    const auto s = take(services.sessions().get(account.id, sid));
    const auto device_name = name_of(services.device_names(account.id), s.device_id);
    confirm_or_abort(context,
                     fmt::format("end session {} of {} (device '{}')", s.id, account.email,
                                 device_name.value_or(s.device_id)),
                     inv.flag("yes"));
    take(services.sessions().revoke(account.id, s.id));
    if (context.json)
        print_json({{"account", account_ref_json(account)},
                    {"session", session_json(s, device_name, now())},
                    {"sessions_ended", 1}});
    else
        print_line(fmt::format("ended session {} of {}", s.id, account.email));
    return ExitCode::ok;
}

ExitCode session_purge(const Invocation& inv) {
    const auto& context = inv.context();
    AdminServices services(context);
    const auto account = services.account(require_account_option(inv));
    std::optional<Device> device;
    if (const auto ref = inv.value("device")) device = services.device(account, *ref);
    services.require_redis();
    const auto scope =
        device ? fmt::format("device '{}' ({}) of {}", device->name, device->id, account.email)
               : fmt::format("{} ({})", account.email, account.id);
    confirm_or_abort(context, "end every session of " + scope, inv.flag("yes"));
    const auto ended = device ? services.sessions().purge_device(account.id, device->id)
                              : services.sessions().purge_account(account.id);
    if (context.json)
        print_json(
            {{"account", account_ref_json(account)},
             {"device", device ? json{{"id", device->id}, {"name", device->name}} : json(nullptr)},
             {"sessions_ended", ended}});
    else
        print_line(fmt::format("ended {} session(s) of {}", ended, scope));
    return ExitCode::ok;
}

ExitCode session_gc(const Invocation& inv) {
    const auto& context = inv.context();
    AdminServices services(context);
    const auto stats = services.sessions().gc();
    if (context.json)
        print_json({{"index_keys_scanned", stats.index_keys_scanned},
                    {"stale_removed", stats.stale_removed}});
    else
        print_line(fmt::format("scanned {} session index set(s), removed {} stale entr{}",
                               stats.index_keys_scanned, stats.stale_removed,
                               stats.stale_removed == 1 ? "y" : "ies"));
    return ExitCode::ok;
}

}  // namespace

GroupSpec session_group() {
    return GroupSpec{
        .name = "session",
        .help = "List, inspect and end login sessions (kept in Redis)",
        .commands = {
            {.name = "list",
             .help = "List an account's live sessions, oldest first, with their remaining TTL",
             .options = {k_account, k_device},
             .run = session_list},
            {.name = "show",
             .help = "Show one session",
             .args = {k_sid_arg},
             .options = {k_account},
             .run = session_show},
            {.name = "revoke",
             .help = "End one session and drop its live connections (asks first)",
             .args = {k_sid_arg},
             .options = {k_account, k_yes},
             .run = session_revoke},
            {.name = "purge",
             .help = "End every session of an account, or of one of its devices (asks first)",
             .options = {k_account, k_device, k_yes},
             .run = session_purge},
            {.name = "gc",
             .help = "Sweep every account's session indexes for entries of expired sessions",
             .run = session_gc},
        }};
}

}  // namespace edgesync::cli
