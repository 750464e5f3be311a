// `edgesync-agent status [--json]`: what the engine last wrote to
// state_dir/status.json, and whether an engine holds the state directory's
// lock right now (the file alone cannot tell a crashed agent from a running one).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "agent/agent_state.hpp"
#include "agent/commands.hpp"
#include "agent/sync_lock.hpp"
#include "agent/sync_status.hpp"

namespace edgesync::agent {

namespace {

std::string or_never(const std::string& text) { return text.empty() ? "never" : text; }

}  // namespace

int status(const GlobalOptions& global, bool json) {
    const AgentState state(global.state_dir);
    if (!state.enrolled()) {
        fmt::print(stderr, "edgesync-agent: error: {} is not enrolled: run edgesync-agent enroll\n",
                   global.state_dir.string());
        return 1;
    }
    const auto config = state.load_config();
    const bool running = StateLock::held_by_someone(global.state_dir);
    const auto file = read_status_file(global.state_dir);
    SyncStatus s = file.value_or(SyncStatus{});
    if (!running) {
        s.connected = false;
        if (s.state != "stopped") s.state = file ? "stopped" : "never run";
    }
    if (json) {
        auto j = s.to_json();
        j["running"] = running;
        j["device_id"] = config.device_id;
        j["sync_dir"] = config.sync_dir.string();
        j["server"] = config.server;
        fmt::print("{}\n", j.dump(2));
        return 0;
    }
    fmt::print("device      {} ({})\n", config.device_name, config.device_id);
    fmt::print("folder      {}\n", config.sync_dir.string());
    fmt::print("agent       {}\n", running ? fmt::format("running ({})", s.state) : "not running");
    fmt::print("server      {} ({})\n", config.server, s.connected ? "connected" : "not connected");
    fmt::print("last sync   {}\n", or_never(s.last_sync));
    fmt::print("files       {}\n", s.files);
    fmt::print("pending     {} up, {} down\n", s.pending_up, s.pending_down);
    fmt::print("conflicts   {} conflict copies made\n", s.conflicts);
    fmt::print("transferred {} bytes up, {} bytes down\n", s.bytes_up, s.bytes_down);
    if (!s.skipped_too_large.empty()) {
        fmt::print("too large   {} file(s) over the server's limit, not synced:\n",
                   s.skipped_too_large.size());
        for (const auto& p : s.skipped_too_large) fmt::print("              {}\n", p);
    }
    if (!s.last_error.empty()) fmt::print("last error  {}\n", s.last_error);
    return 0;
}

}  // namespace edgesync::agent
