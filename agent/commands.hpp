#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

// The agent's commands as plain functions; agent/main.cpp (the only CLI11
// translation unit) parses the command line and calls one. Each returns the
// process exit code (0 ok, 1 failure, 2 usage, k_exit_revoked = 10, ...) and
// prints its own one-line errors to stderr.
namespace edgesync::agent {

struct GlobalOptions {
    std::filesystem::path state_dir;  // resolved: --state-dir or default_state_dir()
    std::string log_level = "info";
};

struct EnrollOptions {
    std::string server;                              // --server URL
    std::string email;                               // --email
    std::filesystem::path password_file;             // --password-file (first line, no newline)
    std::filesystem::path sync_dir;                  // --dir
    std::string device_name;                         // --name (default: the host name)
    std::filesystem::path recovery_passphrase_file;  // --recovery-passphrase-file
    // Later devices without a passphrase: wait this long for `approve` on an
    // enrolled device (0 = register and exit; `run` waits).
    std::chrono::seconds wait_for_approval{0};  // --wait-approval SECONDS
};

// cmd_enroll.cpp
[[nodiscard]] int enroll(const GlobalOptions& global, const EnrollOptions& options);
// cmd_approve.cpp: seals the account key to DEVICE (id or unique name) after
// showing its fingerprint; `yes` skips the confirmation prompt.
[[nodiscard]] int approve(const GlobalOptions& global, const std::string& device, bool yes);
// cmd_sync.cpp: the daemon (foreground, sd_notify) and one full pass.
[[nodiscard]] int run_daemon(const GlobalOptions& global);
[[nodiscard]] int sync_once(const GlobalOptions& global);
// cmd_status.cpp
[[nodiscard]] int status(const GlobalOptions& global, bool json);

}  // namespace edgesync::agent
