// `edgesync account ...`: accounts through AccountService. Output shapes are
// documented in docs/cli.md (account).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <limits>

#include "cli/admin_output.hpp"
#include "cli/admin_services.hpp"
#include "cli/console.hpp"
#include "cli/groups.hpp"
#include "cli/password_input.hpp"
#include "shared/services/account_service.hpp"
#include "shared/services/validation.hpp"

namespace edgesync::cli {
namespace {

using nlohmann::json;

constexpr std::int64_t k_max = std::numeric_limits<std::int64_t>::max();

const OptionSpec k_yes{.names = "-y,--yes", .help = "Do not ask for confirmation"};
const OptionSpec k_password_stdin{.names = "--password-stdin",
                                  .help = "Read the password from stdin (one line)"};
// Present only to refuse them without echoing the value in a parse error.
const ArgSpec k_refused_password_arg{
    .name = "PASSWORD",
    .help = "Refused: a password on the command line leaks into ps and shell history"};
const OptionSpec k_refused_password_option{.names = "--password",
                                           .help = "Refused: use --password-stdin or the prompt",
                                           .takes_value = true,
                                           .value_name = "REFUSED"};

void refuse_password_in_argv(const Invocation& inv) {
    if (inv.value("PASSWORD") || inv.value("password"))
        throw UsageError(
            "passwords are never taken from the command line (they leak into ps and shell "
            "history): use --password-stdin or the prompt");
}

std::string quota_text(const Account& a) {
    return a.quota_bytes ? human_bytes(*a.quota_bytes) : "unlimited";
}

std::string usage_text(const Account& a) {
    if (!a.quota_bytes) return human_bytes(a.used_bytes) + " (no quota)";
    const auto percent = *a.quota_bytes > 0 ? static_cast<double>(a.used_bytes) * 100.0 /
                                                  static_cast<double>(*a.quota_bytes)
                                            : 100.0;
    return fmt::format("{} of {} ({:.0f}%)", human_bytes(a.used_bytes), human_bytes(*a.quota_bytes),
                       percent);
}

// The account as it is now, after a change (deleted ones included).
Account reread(AdminServices& services, const Account& a) {
    return services.account(a.id, /*include_deleted=*/true);
}

ExitCode account_create(const Invocation& inv) {
    refuse_password_in_argv(inv);
    const auto& context = inv.context();
    std::optional<std::int64_t> quota;
    if (const auto text = inv.value("quota")) {
        quota = parse_byte_size(*text);
        if (!quota)
            throw UsageError(fmt::format(
                "--quota must be a byte count like 1073741824, 500MiB or 10GB, got '{}'", *text));
    }
    // Configuration and email first: no point typing a password for a typo.
    AdminServices services(context);
    const auto email = take(normalize_email(*inv.value("EMAIL")));
    const auto password = read_new_password(context, inv.flag("password-stdin"), email);
    const auto account = take(services.accounts().create(email, password, quota));
    if (context.json)
        print_json({{"account", account_json(account)}});
    else
        print_line(fmt::format("created account {} ({}), quota {}", account.email, account.id,
                               quota_text(account)));
    return ExitCode::ok;
}

ExitCode account_list(const Invocation& inv) {
    const auto& context = inv.context();
    AccountListQuery query;
    query.search = inv.value("search").value_or("");
    query.include_deleted = inv.flag("deleted");
    query.limit = static_cast<std::size_t>(
        inv.integer("limit", 1, AccountService::k_account_page_max).value_or(50));
    query.offset = static_cast<std::size_t>(inv.integer("offset", 0, k_max).value_or(0));
    AdminServices services(context);
    const auto page = take(services.accounts().list(query));
    if (context.json) {
        json accounts = json::array();
        for (const auto& a : page.accounts) accounts.push_back(account_json(a));
        print_json({{"accounts", std::move(accounts)},
                    {"total", page.total},
                    {"limit", query.limit},
                    {"offset", query.offset}});
        return ExitCode::ok;
    }
    if (page.accounts.empty()) {
        print_line(fmt::format("no accounts{} (total matching: {})",
                               query.offset > 0 ? " on this page" : "", page.total));
        return ExitCode::ok;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : page.accounts)
        rows.push_back({a.id, a.email, std::string(account_status(a)), human_time(a.created_at),
                        human_bytes(a.used_bytes), quota_text(a)});
    fmt::print("{}", format_table({"ID", "EMAIL", "STATUS", "CREATED", "USED", "QUOTA"}, rows));
    const auto last = query.offset + page.accounts.size();
    print_line(fmt::format("accounts {}-{} of {}{}", query.offset + 1, last, page.total,
                           last < page.total ? fmt::format(" (next: --offset {})", last) : ""));
    return ExitCode::ok;
}

ExitCode account_show(const Invocation& inv) {
    const auto& context = inv.context();
    AdminServices services(context);
    const auto account = services.account(*inv.value("ACCOUNT"), /*include_deleted=*/true);
    const auto s = take(services.accounts().summary(account.id));
    if (context.json) {
        json devices = json::array();
        for (const auto& d : s.devices) devices.push_back(device_json(d));
        print_json({{"account", account_json(s.account)},
                    {"devices", std::move(devices)},
                    {"sessions", s.live_sessions},
                    {"last_activity",
                     s.last_activity ? json(format_rfc3339(*s.last_activity)) : json(nullptr)}});
        return ExitCode::ok;
    }
    const auto& a = s.account;
    std::vector<std::pair<std::string, std::string>> fields{
        {"Account", a.id},
        {"Email", a.email},
        {"Status", std::string(account_status(a))},
        {"Created", human_time(a.created_at)},
        {"Updated", human_time(a.updated_at)}};
    if (a.disabled_at) fields.emplace_back("Disabled", human_time(a.disabled_at));
    if (a.deleted_at) fields.emplace_back("Deleted", human_time(a.deleted_at));
    fields.emplace_back("Usage", usage_text(a));
    fields.emplace_back("Sessions", fmt::format("{} live", s.live_sessions));
    fields.emplace_back("Last activity", human_time(s.last_activity, "never"));
    fields.emplace_back("Devices", std::to_string(s.devices.size()));
    print_fields(fields);
    if (s.devices.empty()) return ExitCode::ok;
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : s.devices)
        rows.push_back({d.id, d.name, std::string(to_string(d.device_type)),
                        human_time(d.last_seen_at, "never"), std::string(device_status(d))});
    print_line("");
    fmt::print("{}", format_table({"DEVICE", "NAME", "TYPE", "LAST SEEN", "STATUS"}, rows));
    return ExitCode::ok;
}

// Prints {"account":..,<counts>} or "<verb> account E (id)<tail>".
void print_change(const Context& context, const Account& now, std::string_view verb, json counts,
                  const std::string& tail) {
    if (context.json) {
        counts["account"] = account_json(now);
        print_json(counts);
    } else {
        print_line(fmt::format("{} account {} ({}){}", verb, now.email, now.id, tail));
    }
}

ExitCode account_disable(const Invocation& inv) {
    const auto& context = inv.context();
    AdminServices services(context);
    const auto account = services.account(*inv.value("ACCOUNT"));
    services.require_redis();
    confirm_or_abort(
        context,
        fmt::format("disable account {} ({}) and end all its sessions", account.email, account.id),
        inv.flag("yes"));
    const auto ended = take(services.accounts().disable(account.id));
    print_change(context, reread(services, account), "disabled",
                 {{"sessions_ended", ended.sessions_ended}},
                 fmt::format("; ended {} session(s)", ended.sessions_ended));
    return ExitCode::ok;
}

ExitCode account_enable(const Invocation& inv) {
    const auto& context = inv.context();
    AdminServices services(context);
    const auto account = services.account(*inv.value("ACCOUNT"));
    take(services.accounts().enable(account.id));
    print_change(context, reread(services, account), "enabled", json::object(), "");
    return ExitCode::ok;
}

ExitCode account_delete(const Invocation& inv) {
    const auto& context = inv.context();
    AdminServices services(context);
    const auto account = services.account(*inv.value("ACCOUNT"));
    services.require_redis();
    confirm_or_abort(context,
                     fmt::format("delete account {} ({}), revoke all its devices and end all its "
                                 "sessions",
                                 account.email, account.id),
                     inv.flag("yes"));
    const auto ended = take(services.accounts().remove(account.id));
    print_change(
        context, reread(services, account), "deleted",
        {{"devices_revoked", ended.devices_revoked}, {"sessions_ended", ended.sessions_ended}},
        fmt::format("; revoked {} device(s), ended {} session(s)", ended.devices_revoked,
                    ended.sessions_ended));
    return ExitCode::ok;
}

// No confirmation: typing the new password (or piping it) is the intent, and
// a script rotating passwords should not need --yes as well.
ExitCode account_passwd(const Invocation& inv) {
    refuse_password_in_argv(inv);
    const auto& context = inv.context();
    AdminServices services(context);
    const auto account = services.account(*inv.value("ACCOUNT"));
    services.require_redis();
    const auto password = read_new_password(context, inv.flag("password-stdin"), account.email);
    const auto ended = take(services.accounts().change_password(account.id, password));
    print_change(context, reread(services, account), "changed the password of",
                 {{"sessions_ended", ended.sessions_ended}},
                 fmt::format("; ended {} session(s)", ended.sessions_ended));
    return ExitCode::ok;
}

const ArgSpec k_account_arg{
    .name = "ACCOUNT", .help = "Account id (UUID) or email", .required = true};

}  // namespace

GroupSpec account_group() {
    return GroupSpec{
        .name = "account",
        .help = "Create, list, inspect, disable and delete accounts",
        .commands = {
            {.name = "create",
             .help = "Create an account (password from --password-stdin or a prompt)",
             .args = {{.name = "EMAIL", .help = "Email address", .required = true},
                      k_refused_password_arg},
             .options = {k_password_stdin,
                         {.names = "--quota",
                          .help = "Storage quota: bytes, or with KiB/MiB/GiB/TiB or KB/MB/GB/TB "
                                  "(default: unlimited)",
                          .takes_value = true,
                          .value_name = "BYTES"},
                         k_refused_password_option},
             .run = account_create},
            {.name = "list",
             .help = "List accounts, oldest first, a page at a time",
             .options = {{.names = "--search",
                          .help = "Only emails containing TEXT (any letter case)",
                          .takes_value = true,
                          .value_name = "TEXT"},
                         {.names = "--limit",
                          .help = "Page size, 1-1000 (default 50)",
                          .takes_value = true,
                          .value_name = "N"},
                         {.names = "--offset",
                          .help = "Skip the first N matches (default 0)",
                          .takes_value = true,
                          .value_name = "N"},
                         {.names = "--deleted", .help = "Include deleted accounts"}},
             .run = account_list},
            {.name = "show",
             .help = "Show an account: status, usage, devices, sessions, last activity",
             .args = {k_account_arg},
             .run = account_show},
            {.name = "disable",
             .help = "Block logins and end every session (asks first)",
             .args = {k_account_arg},
             .options = {k_yes},
             .run = account_disable},
            {.name = "enable",
             .help = "Allow a disabled account to log in again",
             .args = {k_account_arg},
             .run = account_enable},
            {.name = "delete",
             .help = "Soft-delete: revoke every device, end every session (asks first)",
             .args = {k_account_arg},
             .options = {k_yes},
             .run = account_delete},
            {.name = "passwd",
             .help = "Set a new password and end every session",
             .args = {k_account_arg, k_refused_password_arg},
             .options = {k_password_stdin, k_refused_password_option},
             .run = account_passwd},
        }};
}

}  // namespace edgesync::cli
