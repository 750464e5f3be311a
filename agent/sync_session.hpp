#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "agent/agent_state.hpp"
#include "agent/api_client.hpp"

// What `run` and `sync --once` share around the engine: the enrolled state,
// an ApiClient that saves rotated tokens, logging, and logging in again when
// the session ended.
namespace edgesync::agent {

// stderr, UTC timestamps, `level` ("info", "debug", ...).
void setup_agent_logging(const std::string& level);

struct SyncSession {
    explicit SyncSession(const std::filesystem::path& state_dir);

    AgentState state;
    AgentConfig config;
    std::unique_ptr<ApiClient> api;
};

// After SessionEnded: logs in again as this device with the password in
// config.password_file and replaces session.api. Returns false (after
// logging why) when there is no password file to do it with. Throws
// DeviceRevoked when the server says this device is revoked, ApiError /
// TransportError otherwise.
[[nodiscard]] bool login_again(SyncSession& session);

// The one line logged when the device is revoked (then exit k_exit_revoked).
void log_revoked(const SyncSession& session);

}  // namespace edgesync::agent
