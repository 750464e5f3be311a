#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// What the sync engine reports about itself: `run` and `sync --once` rewrite
// state_dir/status.json (atomically) and `edgesync-agent status` reads it, so
// status works from another process, whether the engine runs or not.
namespace edgesync::agent {

struct SyncStatus {
    std::string state = "starting";  // "starting" | "syncing" | "idle" | "stopped" | "offline"
    std::int64_t pid = 0;
    bool connected = false;  // the last call to the server got an answer
    std::string last_sync;   // RFC 3339 UTC of the last completed pass ("" = never)
    std::int64_t last_applied_seq = 0;
    std::uint64_t files = 0;         // files in the index
    std::uint64_t pending_up = 0;    // local changes not pushed yet
    std::uint64_t pending_down = 0;  // remote changes not applied yet (known from events)
    std::uint64_t conflicts = 0;     // conflict copies made since start
    std::vector<std::string> skipped_too_large;  // paths over the server's blob limit
    std::uint64_t bytes_up = 0;                  // ciphertext bytes pushed since start
    std::uint64_t bytes_down = 0;                // ciphertext bytes pulled since start
    std::string last_error;                      // "" = none since the last successful pass
    std::string updated_at;                      // RFC 3339 UTC of this snapshot

    [[nodiscard]] nlohmann::json to_json() const;
    // Missing members keep their defaults; never throws for a JSON object.
    [[nodiscard]] static SyncStatus from_json(const nlohmann::json& j);
};

inline constexpr std::string_view k_status_file = "status.json";

// Writes `status` to state_dir/status.json atomically (0600), stamping
// updated_at. Never throws: a status file must not stop the engine (a failure
// is logged at warn).
void write_status_file(const std::filesystem::path& state_dir, SyncStatus status);

// nullopt when there is no (readable, well-formed) status file.
[[nodiscard]] std::optional<SyncStatus> read_status_file(const std::filesystem::path& state_dir);

}  // namespace edgesync::agent
