#include "agent/sync_status.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "agent/state_dir.hpp"
#include "shared/util/bytes.hpp"
#include "shared/util/time.hpp"

namespace edgesync::agent {

nlohmann::json SyncStatus::to_json() const {
    return {
        {"state", state},
        {"pid", pid},
        {"connected", connected},
        {"last_sync", last_sync.empty() ? nlohmann::json(nullptr) : nlohmann::json(last_sync)},
        {"last_applied_seq", last_applied_seq},
        {"files", files},
        {"pending_up", pending_up},
        {"pending_down", pending_down},
        {"conflicts", conflicts},
        {"skipped_too_large", skipped_too_large},
        {"bytes_up", bytes_up},
        {"bytes_down", bytes_down},
        {"last_error", last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(last_error)},
        {"updated_at", updated_at}};
}

namespace {

template <typename T>
void read_member(const nlohmann::json& j, const char* name, T& out) {
    const auto it = j.find(name);
    if (it == j.end() || it->is_null()) return;
    try {
        out = it->get<T>();
    } catch (const nlohmann::json::exception&) {
        // keep the default: a status file from another version must not break `status`
    }
}

}  // namespace

SyncStatus SyncStatus::from_json(const nlohmann::json& j) {
    SyncStatus s;
    if (!j.is_object()) return s;
    read_member(j, "state", s.state);
    read_member(j, "pid", s.pid);
    read_member(j, "connected", s.connected);
    read_member(j, "last_sync", s.last_sync);
    read_member(j, "last_applied_seq", s.last_applied_seq);
    read_member(j, "files", s.files);
    read_member(j, "pending_up", s.pending_up);
    read_member(j, "pending_down", s.pending_down);
    read_member(j, "conflicts", s.conflicts);
    read_member(j, "skipped_too_large", s.skipped_too_large);
    read_member(j, "bytes_up", s.bytes_up);
    read_member(j, "bytes_down", s.bytes_down);
    read_member(j, "last_error", s.last_error);
    read_member(j, "updated_at", s.updated_at);
    return s;
}

void write_status_file(const std::filesystem::path& state_dir, SyncStatus status) {
    status.updated_at = format_rfc3339(now());
    try {
        write_secret_file(state_dir / k_status_file, to_bytes(status.to_json().dump(2) + "\n"));
    } catch (const std::exception& e) {
        spdlog::warn("cannot write {}: {}", (state_dir / k_status_file).string(), e.what());
    }
}

std::optional<SyncStatus> read_status_file(const std::filesystem::path& state_dir) {
    std::ifstream in(state_dir / k_status_file, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    const auto j = nlohmann::json::parse(text.str(), nullptr, false);
    if (!j.is_object()) return std::nullopt;
    return SyncStatus::from_json(j);
}

}  // namespace edgesync::agent
