// `edgesync state ...`: what the server holds for an account, metadata only.
// Keys are opaque to the server and blobs are ciphertext, so this shows
// versions, sizes and who wrote what; `show --raw` prints the ciphertext as
// stored, for debugging a client. Output shapes: docs/cli.md (state).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <limits>
#include <map>

#include "cli/account_ref.hpp"
#include "cli/admin_output.hpp"
#include "cli/console.hpp"
#include "cli/groups.hpp"
#include "cli/stores.hpp"
#include "shared/repositories/device_repository.hpp"
#include "shared/repositories/state_repository.hpp"

namespace edgesync::cli {
namespace {

using nlohmann::json;

constexpr std::int64_t k_default_limit = 100;
constexpr std::int64_t k_max_limit = 10'000;

struct ListArgs {
    std::string account;
    std::size_t limit = k_default_limit;
    std::size_t offset = 0;
};

struct ShowArgs {
    std::string account;
    std::string key;
    bool raw = false;
};

// Device id -> name for the account's devices (revoked ones too: they wrote
// states before they were revoked). Deleted devices are absent: callers fall
// back to the id.
std::map<std::string, std::string> device_names(DeviceRepository& devices,
                                                const std::string& account_id) {
    std::map<std::string, std::string> names;
    for (const auto& d : devices.list(account_id, true)) names.emplace(d.id, d.name);
    return names;
}

json state_json(const EncryptedState& s, const std::map<std::string, std::string>& names) {
    const auto name = names.find(s.device_id);
    return {{"key", s.key},
            {"version", s.version},
            {"seq", s.seq},
            {"size", s.size},
            {"created_at", format_rfc3339(s.created_at)},
            {"updated_at", format_rfc3339(s.updated_at)},
            {"device_id", s.device_id},
            {"device_name", name == names.end() ? json(nullptr) : json(name->second)},
            {"deleted", s.deleted()},
            {"deleted_at", time_json(s.deleted_at)}};
}

std::string device_label(const std::string& id, const std::map<std::string, std::string>& names) {
    const auto name = names.find(id);
    return name == names.end() ? id : printable(name->second);
}

ExitCode state_list(const Context& context, const ListArgs& args) {
    Stores stores(context);
    const auto account = resolve_account(stores.accounts(), args.account);
    // One row more than asked tells whether there is a next page.
    auto states = stores.states().list_metadata(account.id, args.limit + 1, args.offset);
    const bool more = states.size() > args.limit;
    if (more) states.pop_back();
    const auto names = device_names(stores.devices(), account.id);
    if (context.json) {
        json rows = json::array();
        for (const auto& s : states) rows.push_back(state_json(s, names));
        print_json({{"account", account_ref_json(account)},
                    {"limit", args.limit},
                    {"offset", args.offset},
                    {"more", more},
                    {"states", std::move(rows)}});
        return ExitCode::ok;
    }
    if (states.empty()) {
        print_line(args.offset == 0 ? "no states"
                                    : fmt::format("no states after offset {}", args.offset));
        return ExitCode::ok;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : states)
        rows.push_back({printable(s.key), std::to_string(s.version), std::to_string(s.seq),
                        std::to_string(s.size), human_time(s.updated_at),
                        device_label(s.device_id, names),
                        s.deleted() ? paint(context, Tone::dim, "yes") : "no"});
    fmt::print("{}", format_table({"KEY", "VERSION", "SEQ", "SIZE", "UPDATED", "DEVICE", "DELETED"},
                                  rows));
    if (more) print_line(fmt::format("more: --offset {}", args.offset + args.limit));
    std::fflush(stdout);
    return ExitCode::ok;
}

ExitCode state_show(const Context& context, const ShowArgs& args) {
    Stores stores(context);
    const auto account = resolve_account(stores.accounts(), args.account);
    const auto state = stores.states().get(account.id, args.key);
    if (!state)
        throw Error(fmt::format("no state '{}' in account '{}'", printable(args.key),
                                printable(args.account)),
                    ExitCode::not_found);
    std::map<std::string, std::string> names;
    if (const auto device = stores.devices().find(account.id, state->device_id))
        names.emplace(device->id, device->name);
    if (context.json) {
        auto doc = state_json(*state, names);
        doc["account"] = account_ref_json(account);
        if (args.raw) {
            doc["nonce"] = base64_encode(state->nonce);
            doc["state"] = base64_encode(state->state);
        }
        print_json(doc);
        return ExitCode::ok;
    }
    const auto name = names.find(state->device_id);
    std::vector<std::pair<std::string, std::string>> fields = {
        {"account", fmt::format("{} ({})", printable(account.email), account.id)},
        {"key", printable(state->key)},
        {"version", std::to_string(state->version)},
        {"seq", std::to_string(state->seq)},
        {"size", fmt::format("{} bytes", state->size)},
        {"created", human_time(state->created_at)},
        {"updated", human_time(state->updated_at)},
        {"device", name == names.end()
                       ? state->device_id
                       : fmt::format("{} ({})", printable(name->second), state->device_id)},
        {"deleted", state->deleted_at ? human_time(*state->deleted_at) : "no"},
    };
    if (args.raw) {
        fields.emplace_back("nonce", base64_encode(state->nonce));
        fields.emplace_back("state", base64_encode(state->state));
    }
    fmt::print("{}", format_fields(fields));
    std::fflush(stdout);
    return ExitCode::ok;
}

}  // namespace

GroupSpec state_group() {
    return GroupSpec{
        .name = "state",
        .help = "Inspect an account's encrypted states (metadata; blobs stay ciphertext)",
        .commands = {
            {.name = "list",
             .help = "List the account's state keys with version, seq, size and writer",
             .options = {account_option(),
                         {.names = "--limit",
                          .help = "At most N rows (1-10000, default 100)",
                          .takes_value = true,
                          .value_name = "N"},
                         {.names = "--offset",
                          .help = "Skip the first N rows (by key order)",
                          .takes_value = true,
                          .value_name = "N"}},
             .run =
                 [](const Invocation& inv) {
                     return state_list(
                         inv.context(),
                         ListArgs{
                             *inv.value("account"),
                             static_cast<std::size_t>(
                                 inv.integer("limit", 1, k_max_limit).value_or(k_default_limit)),
                             static_cast<std::size_t>(
                                 inv.integer("offset", 0, std::numeric_limits<std::int32_t>::max())
                                     .value_or(0))});
                 }},
            {.name = "show",
             .help = "Show one state's metadata (--raw: also its nonce and ciphertext, base64)",
             .args = {{.name = "KEY", .help = "The state key, as stored", .required = true}},
             .options = {account_option(),
                         {.names = "--raw",
                          .help = "Also print the nonce and ciphertext (base64)"}},
             .run =
                 [](const Invocation& inv) {
                     return state_show(inv.context(), ShowArgs{*inv.value("account"),
                                                               *inv.value("KEY"), inv.flag("raw")});
                 }},
        }};
}

}  // namespace edgesync::cli
