// `edgesync-agent approve DEVICE` (issue #5; docs/agent.md, Approve): seals
// this device's account key to another device's public key, after showing
// that key's fingerprint for the user to compare with what `enroll` printed
// on the new device (the server could otherwise swap in a key of its own).
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "agent/agent_state.hpp"
#include "agent/commands.hpp"
#include "agent/enrollment.hpp"
#include "agent/exit_codes.hpp"
#include "agent/fingerprint.hpp"
#include "agent/http_client.hpp"
#include "agent/key_api.hpp"

namespace edgesync::agent {

namespace {

int fail(int code, const std::string& message) {
    fmt::print(stderr, "edgesync-agent: error: {}\n", message);
    return code;
}

std::string lower(std::string s) {
    std::ranges::transform(s, s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string describe(const DeviceInfo& d) {
    std::string state = d.revoked              ? "revoked"
                        : d.public_key.empty() ? "no public key"
                        : d.has_wrapped_key    ? "holds the key"
                                               : "waiting for approval";
    return fmt::format("  {}  {} ({}, {})", d.id, d.name, d.device_type, state);
}

std::string list_of(const std::vector<const DeviceInfo*>& devices) {
    std::string out;
    for (const auto* d : devices) out += "\n" + describe(*d);
    return out.empty() ? "\n  (none)" : out;
}

// DEVICE as an id (any letter case) or a name. Names: unrevoked devices
// first; a name only revoked devices carry still resolves (to be refused).
std::vector<const DeviceInfo*> matches(const std::vector<DeviceInfo>& devices,
                                       const std::string& wanted) {
    std::vector<const DeviceInfo*> by_name;
    std::vector<const DeviceInfo*> revoked_by_name;
    for (const auto& d : devices) {
        if (lower(d.id) == lower(wanted)) return {&d};
        if (d.name == wanted) (d.revoked ? revoked_by_name : by_name).push_back(&d);
    }
    return by_name.empty() ? revoked_by_name : by_name;
}

bool confirmed() {
    fmt::print("Approve this device? [y/N] ");
    std::fflush(stdout);
    std::string answer;
    if (!std::getline(std::cin, answer)) return false;
    answer = lower(answer);
    return answer == "y" || answer == "yes";
}

int approve_with(ApiClient& api, const AgentConfig& config, const AccountKeyFile& key,
                 const std::string& wanted, bool yes) {
    const auto devices = list_devices(api);
    const auto found = matches(devices, wanted);
    if (found.empty()) {
        std::vector<const DeviceInfo*> waiting;
        for (const auto& d : devices)
            if (!d.revoked && !d.has_wrapped_key && !d.public_key.empty()) waiting.push_back(&d);
        return fail(3, fmt::format("no device of the account has the id or name '{}'. Devices "
                                   "waiting for approval:{}",
                                   wanted, list_of(waiting)));
    }
    if (found.size() > 1)
        return fail(2, fmt::format("several devices are named '{}': give the id instead:{}", wanted,
                                   list_of(found)));
    const DeviceInfo& target = *found.front();
    if (target.revoked) return fail(1, fmt::format("device {} is revoked", target.id));
    if (target.public_key.empty())
        return fail(1, fmt::format("device {} ({}) has no public key to seal the account key to "
                                   "(a browser session, not an agent)",
                                   target.id, target.name));
    if (target.id == config.device_id || target.current)
        return fail(2, "that is this device itself");
    if (target.has_wrapped_key) {
        fmt::print("Device {} ({}) already holds the account key: nothing to do.\n", target.name,
                   target.id);
        return 0;
    }

    fmt::print(
        "Device to approve:\n"
        "  name:        {} ({})\n"
        "  id:          {}\n"
        "  fingerprint: {}\n"
        "It must match the fingerprint `edgesync-agent enroll` printed on that device.\n",
        target.name, target.device_type, target.id, device_fingerprint(target.public_key));
    if (!yes) {
        if (::isatty(STDIN_FILENO) != 1)
            return fail(2, "not on a terminal: compare the fingerprint, then run again with --yes");
        if (!confirmed()) {
            fmt::print("Not approved.\n");
            return 1;
        }
    }

    SealedAccountKey sealed;
    try {
        sealed = {crypto::seal_to(target.public_key, key.key), key.key_version};
    } catch (const std::invalid_argument&) {
        return fail(1, fmt::format("device {} has an unusable public key", target.id));
    }
    try {
        put_device_key(api, target.id, sealed);
    } catch (const ApiError& e) {
        if (e.status() == 403 && e.code() == "forbidden")
            return fail(1,
                        "the server does not count this device as a key holder (it unlocked the "
                        "key with the recovery passphrase while other devices held it): approve "
                        "from a device that holds the key, or have one approve this device first");
        throw;
    }
    fmt::print(
        "Approved {} ({}). It gets the account key the next time `edgesync-agent enroll` runs "
        "there (or while it waits with --wait-approval).\n"
        "account key fingerprint: {} (the approved device shows the same)\n",
        target.name, target.id, account_key_fingerprint(key.key));
    return 0;
}

}  // namespace

int approve(const GlobalOptions& global, const std::string& device, bool yes) {
    const AgentState state(global.state_dir);
    try {
        if (!state.enrolled())
            return fail(1, fmt::format("{} is not enrolled: run `edgesync-agent enroll` first",
                                       state.dir().string()));
        const auto config = state.load_config();
        const auto key = state.load_account_key();
        if (!key)
            return fail(1,
                        "this device does not hold the account key yet (it waits for approval "
                        "itself), so it cannot approve another device");
        return with_session(state, config, [&](ApiClient& api) {
            return approve_with(api, config, *key, device, yes);
        });
    } catch (const DeviceRevoked&) {
        return fail(k_exit_revoked, "this device was revoked");
    } catch (const ApiError& e) {
        return fail(1, fmt::format("the server refused: {}", e.what()));
    } catch (const TransportError& e) {
        return fail(5, fmt::format("cannot reach the server: {}", e.what()));
    }
}

}  // namespace edgesync::agent
