#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "agent/agent_state.hpp"
#include "agent/api_client.hpp"
#include "shared/crypto/sealed_box.hpp"

// How an enrolled device comes to hold the account key (DESIGN, End-to-end
// crypto; docs/agent.md, Enroll). `enroll` registers the device, then calls
// obtain_account_key(); running `enroll` again on a device that is still
// waiting calls it again (with a passphrase, or to wait for approval).
namespace edgesync::agent {

// The recovery passphrase that wraps a new account key must have at least
// this many characters (the blob sits on the server: offline guessing).
inline constexpr std::size_t k_min_passphrase_chars = 12;

// The first line of a password or passphrase file, without its line end.
// Throws std::runtime_error naming the file (never its contents) when it
// cannot be read, is empty, or its first line is.
[[nodiscard]] std::string read_secret_line(const std::filesystem::path& file);

// Why `passphrase` cannot be a recovery passphrase (too short, or the account
// password), or nullopt. Checked before enrolling: every passphrase that
// wraps a key passed it, so a later device's passphrase passes it too.
[[nodiscard]] std::optional<std::string> passphrase_problem(std::string_view passphrase,
                                                            std::string_view password);

struct KeyStepOptions {
    std::optional<std::string> recovery_passphrase;  // checked with passphrase_problem()
    std::chrono::seconds wait_for_approval{0};
};

// Gets this device the account key and saves account.key, printing what
// happens (never a secret). The device's own sealed copy on the server comes
// first (it was approved); else the first device of the account makes a new
// key; else the recovery passphrase unlocks it; else the device waits for
// approval (up to `wait_for_approval`). Returns the exit code: 0 the key is
// saved, k_exit_awaiting_approval no key yet (approval pending), 1 failed
// (wrong passphrase, no way to get the key). Throws ApiError / TransportError for the server's
// errors.
[[nodiscard]] int obtain_account_key(ApiClient& api, const AgentState& state,
                                     const AgentConfig& config, const crypto::BoxKeyPair& device,
                                     const KeyStepOptions& options);

// Runs `step` with a client over the saved tokens (refreshed tokens are
// saved). If the session is over (e.g. the server lost its sessions), logs
// in again as this device with the password in config.password_file, saves
// the new tokens and runs `step` once more.
[[nodiscard]] int with_session(const AgentState& state, const AgentConfig& config,
                               const std::function<int(ApiClient&)>& step);

}  // namespace edgesync::agent
