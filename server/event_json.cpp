#include "server/event_json.hpp"

namespace edgesync::server {

LiveEvent to_live_event(const SyncEvent& e) {
    std::int64_t version = 0;
    const auto payload = nlohmann::json::parse(e.payload, nullptr, /*allow_exceptions=*/false);
    if (payload.is_object()) {
        const auto it = payload.find("version");
        if (it != payload.end() && it->is_number_integer()) version = it->get<std::int64_t>();
    }
    return LiveEvent{e.sequence_number, e.event_type, e.state_key,
                     e.device_id,       version,      e.created_at};
}

nlohmann::json event_json(const LiveEvent& e) {
    return {{"seq", e.seq},         {"event_type", e.event_type},
            {"key", e.key},         {"device_id", e.device_id},
            {"version", e.version}, {"created_at", format_rfc3339(e.at)}};
}

nlohmann::json event_json(const SyncEvent& e) { return event_json(to_live_event(e)); }

}  // namespace edgesync::server
