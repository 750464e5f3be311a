#include "agent/enrollment.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "agent/exit_codes.hpp"
#include "agent/fingerprint.hpp"
#include "agent/key_api.hpp"
#include "shared/crypto/account_key.hpp"
#include "shared/crypto/recovery.hpp"

namespace edgesync::agent {

namespace {

constexpr std::size_t k_max_secret_file_bytes = 64 * 1024;
constexpr std::chrono::seconds k_approval_poll{2};

void error_line(const std::string& message) {
    fmt::print(stderr, "edgesync-agent: error: {}\n", message);
}

// UTF-8 characters: every byte that does not continue a sequence.
std::size_t char_count(std::string_view s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

void save_key(const AgentState& state, const crypto::SecretBytes& key, std::int32_t version) {
    state.save_account_key(AccountKeyFile{key, version});
    fmt::print("account key fingerprint: {} (the same on every device of the account)\n",
               account_key_fingerprint(key));
}

SealedAccountKey sealed_to(const crypto::BoxKeyPair& device, const crypto::SecretBytes& key,
                           std::int32_t version) {
    return {crypto::seal_to(device.public_key, key), version};
}

// The device's own sealed copy, opened. Throws when it does not open: the
// server holds a key for a device key pair this state directory does not have.
std::optional<crypto::SecretBytes> open_own(const SealedAccountKey& sealed,
                                            const crypto::BoxKeyPair& device) {
    auto key = crypto::open_sealed(device, sealed.wrapped_key);
    if (!key || key->size() != crypto::k_account_key_bytes)
        throw std::runtime_error(
            "the account key the server holds for this device does not open with this device's "
            "key (device.key replaced?): revoke the device and enroll again");
    return key;
}

void print_pending(const AgentConfig& config, const crypto::BoxKeyPair& device) {
    fmt::print(
        "This device is registered but does not hold the account key yet.\n"
        "  device:      {} (agent)\n"
        "  id:          {}\n"
        "  fingerprint: {}\n"
        "On an enrolled device, run\n"
        "  edgesync-agent approve {}\n"
        "and check that it shows the same fingerprint. Then run this enroll command again\n"
        "(with --wait-approval SECONDS it waits for the approval).\n",
        config.device_name, config.device_id, device_fingerprint(device.public_key),
        config.device_id);
    std::fflush(stdout);
}

int create_first_key(ApiClient& api, const AgentState& state, const AgentConfig& config,
                     const crypto::BoxKeyPair& device, const KeyStepOptions& options) {
    if (account_has_states(api)) {
        error_line(
            "the account stores encrypted data, but no device holds the account key and there "
            "is no recovery key: a new account key could not read that data, so none is made");
        return 1;
    }
    const auto& passphrase = options.recovery_passphrase;
    const auto key = crypto::generate_account_key();
    constexpr std::int32_t k_first_version = 1;
    if (passphrase) {
        // The compare-and-set that makes one first device win: a device that
        // loses made nothing the server keeps.
        const RecoveryBlob blob{crypto::wrap_with_passphrase(key, config.account_id, *passphrase),
                                k_first_version};
        if (!create_recovery(api, blob)) {
            error_line(
                "another device created the account key at the same moment: run enroll again "
                "(with the recovery passphrase, or wait for approval)");
            return 1;
        }
    }
    put_device_key(api, config.device_id, sealed_to(device, key, k_first_version));
    fmt::print("This is the account's first device: created the account key.\n");
    save_key(state, key, k_first_version);
    if (passphrase) {
        fmt::print(
            "The account key is also stored on the server wrapped under the recovery "
            "passphrase: keep the passphrase safe; with it a new device gets in without "
            "approval.\n");
    } else {
        fmt::print(stderr,
                   "edgesync-agent: warning: no --recovery-passphrase-file: the account key "
                   "exists only on enrolled devices. If every one of them is lost, the synced "
                   "data cannot be decrypted by anyone. Keep a second device enrolled.\n");
    }
    return 0;
}

int recover_with_passphrase(ApiClient& api, const AgentState& state, const AgentConfig& config,
                            const crypto::BoxKeyPair& device, const RecoveryBlob& blob,
                            const std::string& passphrase, bool others_hold) {
    const auto key = crypto::unwrap_with_passphrase(blob.wrapped, config.account_id, passphrase);
    if (!key || key->size() != crypto::k_account_key_bytes) {
        error_line(fmt::format(
            "wrong recovery passphrase (it does not open the account's recovery key). This "
            "device stays registered without the account key: run enroll again with the right "
            "passphrase, or have an enrolled device run `edgesync-agent approve {}`",
            config.device_id));
        return 1;
    }
    bool server_copy = false;
    if (!others_hold) {
        // No device holds the key any more: this one becomes a holder, so it
        // can approve others (the server allows exactly this case).
        try {
            put_device_key(api, config.device_id, sealed_to(device, *key, blob.key_version));
            server_copy = true;
        } catch (const ApiError& e) {
            if (e.status() != 403 || e.code() != "forbidden") throw;
        }
    }
    fmt::print("Unlocked the account key with the recovery passphrase.\n");
    save_key(state, *key, blob.key_version);
    if (!server_copy) {
        fmt::print(
            "The key is kept on this device only: the server gives this device its own sealed "
            "copy (needed to approve other devices) only when an enrolled device runs\n"
            "  edgesync-agent approve {}\n",
            config.device_id);
    }
    return 0;
}

int await_approval(ApiClient& api, const AgentState& state, const AgentConfig& config,
                   const crypto::BoxKeyPair& device, const KeyStepOptions& options,
                   bool others_hold) {
    if (!others_hold) {
        error_line(
            "no enrolled device holds the account key, so none can approve this one: run enroll "
            "again with --recovery-passphrase-file");
        return 1;
    }
    print_pending(config, device);
    if (options.wait_for_approval.count() <= 0) return k_exit_awaiting_approval;
    fmt::print("Waiting up to {} s for the approval...\n", options.wait_for_approval.count());
    std::fflush(stdout);
    const auto deadline = std::chrono::steady_clock::now() + options.wait_for_approval;
    for (;;) {
        if (const auto sealed = get_own_key(api)) {
            const auto key = open_own(*sealed, device);
            fmt::print("Approved: this device now holds the account key.\n");
            save_key(state, *key, sealed->key_version);
            return 0;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) break;
        std::this_thread::sleep_for(
            std::min<std::chrono::steady_clock::duration>(k_approval_poll, deadline - now));
    }
    error_line(fmt::format("no approval within {} s: run this enroll command again to check",
                           options.wait_for_approval.count()));
    return k_exit_awaiting_approval;
}

}  // namespace

std::optional<std::string> passphrase_problem(std::string_view passphrase,
                                              std::string_view password) {
    if (char_count(passphrase) < k_min_passphrase_chars)
        return fmt::format("the recovery passphrase must have at least {} characters",
                           k_min_passphrase_chars);
    if (passphrase == password)
        return "the recovery passphrase must differ from the account password (the server sees "
               "the password at every login)";
    return std::nullopt;
}

std::string read_secret_line(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error(file.string() + ": cannot be read");
    std::string text;
    text.resize(k_max_secret_file_bytes);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    const auto end = text.find('\n');
    std::string line = text.substr(0, end);
    std::fill(text.begin(), text.end(), '\0');
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) throw std::runtime_error(file.string() + ": the first line is empty");
    return line;
}

int with_session(const AgentState& state, const AgentConfig& config,
                 const std::function<int(ApiClient&)>& step) {
    const auto save = [&state](const Tokens& t) { state.save_tokens(t); };
    try {
        ApiClient api(config.server, state.load_tokens(), save);
        return step(api);
    } catch (const DeviceRevoked&) {
        throw;
    } catch (const SessionEnded&) {
        if (config.password_file.empty())
            throw std::runtime_error(
                "the session has ended and config.json names no password_file to log in again");
    }
    HttpClient http;
    const auto tokens =
        ApiClient::login(http, config.server, config.email, read_secret_line(config.password_file),
                         {{"device_id", config.device_id}});
    state.save_tokens(tokens);
    ApiClient api(config.server, tokens, save);
    return step(api);
}

int obtain_account_key(ApiClient& api, const AgentState& state, const AgentConfig& config,
                       const crypto::BoxKeyPair& device, const KeyStepOptions& options) {
    // Approved meanwhile (or an earlier run stopped after storing it).
    if (const auto sealed = get_own_key(api)) {
        const auto key = open_own(*sealed, device);
        fmt::print(
            "The server holds the account key for this device (approved, or stored by an earlier "
            "run).\n");
        save_key(state, *key, sealed->key_version);
        return 0;
    }
    const auto recovery = get_recovery(api);
    const auto devices = list_devices(api);
    const bool others_hold = std::any_of(devices.begin(), devices.end(), [](const auto& d) {
        return !d.revoked && !d.current && d.has_wrapped_key;
    });
    if (!recovery && !others_hold) return create_first_key(api, state, config, device, options);
    if (options.recovery_passphrase && recovery)
        return recover_with_passphrase(api, state, config, device, *recovery,
                                       *options.recovery_passphrase, others_hold);
    if (options.recovery_passphrase)
        fmt::print(stderr,
                   "edgesync-agent: warning: the account has no recovery key, so the passphrase "
                   "cannot unlock anything: this device needs an approval instead\n");
    return await_approval(api, state, config, device, options, others_hold);
}

}  // namespace edgesync::agent
