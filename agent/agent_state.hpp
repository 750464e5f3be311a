#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "agent/api_client.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/crypto/secret_bytes.hpp"

// What an enrolled agent keeps in its state directory (0700; see
// state_dir.hpp for where that is). `enroll` writes it; `run`, `sync`,
// `status` and `approve` read it.
//
//   config.json       AgentConfig (not secret, but 0600 all the same)
//   tokens.json       Tokens (0600): replaced atomically after every refresh
//   device.key        the device's X25519 secret key, 32 raw bytes (0600)
//   account.key       {"key": base64 AK, "key_version": N} (0600); absent
//                     while the device waits for approval
//   index.sqlite      the local index (index.hpp), with -wal/-shm beside it
//   status.json       written by `run` for `status` (sync_status.hpp)
//   lock              flock()ed by `run` / `sync --once`: one engine per state dir
namespace edgesync::agent {

struct AgentConfig {
    int version = 1;
    std::string server;  // base URL, e.g. "http://127.0.0.1:8080"
    std::string email;   // for logging in again (with password_file)
    std::string account_id;
    std::string device_id;
    std::string device_name;
    std::filesystem::path sync_dir;  // absolute
    // Where to read the password when the session has ended (e.g. Redis was
    // lost) and the agent must log in again as this device. Empty: it cannot,
    // and says so. The agent never copies the password itself.
    std::filesystem::path password_file;
};

struct AccountKeyFile {
    crypto::SecretBytes key;  // 32 bytes
    std::int32_t key_version = 1;
};

class AgentState {
  public:
    explicit AgentState(std::filesystem::path dir) : m_dir(std::move(dir)) {}

    [[nodiscard]] const std::filesystem::path& dir() const noexcept { return m_dir; }
    [[nodiscard]] std::filesystem::path file(std::string_view name) const { return m_dir / name; }

    // True once config.json exists.
    [[nodiscard]] bool enrolled() const;

    // Each load throws std::runtime_error with the file name and a readable
    // reason when the file is missing or malformed ("not enrolled: run
    // edgesync-agent enroll", ...). Saves are atomic and 0600.
    [[nodiscard]] AgentConfig load_config() const;
    void save_config(const AgentConfig& config) const;

    [[nodiscard]] Tokens load_tokens() const;
    void save_tokens(const Tokens& tokens) const;

    [[nodiscard]] crypto::BoxKeyPair load_device_key() const;
    void save_device_key(const crypto::BoxKeyPair& pair) const;

    // nullopt while the device has no account key yet (waiting for approval).
    [[nodiscard]] std::optional<AccountKeyFile> load_account_key() const;
    void save_account_key(const AccountKeyFile& key) const;

  private:
    std::filesystem::path m_dir;
};

}  // namespace edgesync::agent
