#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "shared/crypto/byte_view.hpp"
#include "shared/crypto/secret_bytes.hpp"

namespace edgesync::agent {

// Where the agent keeps its index, config and secrets when --state-dir is not
// given: $STATE_DIRECTORY (set by systemd's StateDirectory=; the first entry
// if there are several), else /var/lib/edgesync for root, else
// $HOME/.local/state/edgesync. Pure: the inputs are passed in (nullptr = unset).
[[nodiscard]] std::filesystem::path default_state_dir(const char* state_directory_env,
                                                      const char* home_env, bool is_root);
// The same, from this process's environment and effective uid.
[[nodiscard]] std::filesystem::path default_state_dir();

// Creates `dir` (and parents) if needed and makes it 0700: it holds keys.
void ensure_private_dir(const std::filesystem::path& dir);

// Writes a secret (device private key, account key, tokens) as a 0600 file,
// atomically (temp file, fsync, rename, fsync folder). Throws std::system_error.
void write_secret_file(const std::filesystem::path& file, crypto::ByteView data);

// Reads a secret file; nullopt if it does not exist. Throws std::system_error
// for I/O errors, and std::runtime_error if the file is readable or writable
// by group or others (like ssh, a leaked key is not used silently).
[[nodiscard]] std::optional<crypto::SecretBytes> read_secret_file(
    const std::filesystem::path& file);

}  // namespace edgesync::agent
