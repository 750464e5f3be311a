#include "shared/services/live_message.hpp"

#include <nlohmann/json.hpp>

#include "shared/db/redis_keys.hpp"
#include "shared/services/publisher.hpp"

namespace edgesync {

namespace {

struct Builder {
    nlohmann::json operator()(const LiveEvent& e) const {
        return {{"type", "event"},
                {"seq", e.seq},
                {"event_type", e.event_type},
                {"key", e.key},
                {"device", e.device_id},
                {"version", e.version},
                {"at", format_rfc3339(e.at)}};
    }
    nlohmann::json operator()(const PresenceChange& p) const {
        return {{"type", "presence"},
                {"device", p.device_id},
                {"status", p.status},
                {"at", format_rfc3339(p.at)}};
    }
};

std::optional<std::string> text_member(const nlohmann::json& j, const char* name) {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    auto value = it->get<std::string>();
    if (value.empty()) return std::nullopt;
    return value;
}

std::optional<std::int64_t> int_member(const nlohmann::json& j, const char* name) {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<std::int64_t>();
}

std::optional<Timestamp> time_member(const nlohmann::json& j, const char* name) {
    const auto text = text_member(j, name);
    if (!text) return std::nullopt;
    return parse_timestamp(*text);
}

std::optional<LiveMessage> parse_event(const nlohmann::json& j) {
    auto seq = int_member(j, "seq");
    auto event_type = text_member(j, "event_type");
    auto key = text_member(j, "key");
    auto device = text_member(j, "device");
    auto version = int_member(j, "version");
    auto at = time_member(j, "at");
    if (!seq || *seq < 1 || !event_type || !key || !device || !version || !at) return std::nullopt;
    if (*event_type != "state.put" && *event_type != "state.delete") return std::nullopt;
    return LiveEvent{*seq, std::move(*event_type), std::move(*key), std::move(*device), *version,
                     *at};
}

std::optional<LiveMessage> parse_presence(const nlohmann::json& j) {
    auto device = text_member(j, "device");
    auto status = text_member(j, "status");
    auto at = time_member(j, "at");
    if (!device || !status || !at) return std::nullopt;
    if (*status != "online" && *status != "away" && *status != "offline") return std::nullopt;
    return PresenceChange{std::move(*device), std::move(*status), *at};
}

}  // namespace

std::string live_message(const LiveMessage& message) {
    // Keys are opaque client strings: replace keeps dump() from throwing on bad UTF-8
    // (the server validates keys before writing, so this is belt and braces).
    return std::visit(Builder{}, message)
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<LiveMessage> parse_live_message(std::string_view text) noexcept {
    try {
        const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (!j.is_object()) return std::nullopt;
        const auto type = text_member(j, "type");
        if (!type) return std::nullopt;
        if (*type == "event") return parse_event(j);
        if (*type == "presence") return parse_presence(j);
        return std::nullopt;
    } catch (...) {
        return std::nullopt;
    }
}

void publish_live(Publisher& publisher, std::string_view account_id, const LiveMessage& message) {
    publisher.publish(redis_keys::account_channel(account_id), live_message(message));
}

void publish_live(Publisher& publisher, std::string_view account_id,
                  const std::vector<LiveMessage>& messages) {
    std::vector<std::string> texts;
    texts.reserve(messages.size());
    for (const auto& m : messages) texts.push_back(live_message(m));
    publisher.publish_many(redis_keys::account_channel(account_id), texts);
}

}  // namespace edgesync
