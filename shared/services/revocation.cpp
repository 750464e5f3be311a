#include "shared/services/revocation.hpp"

#include <utility>

#include <nlohmann/json.hpp>

#include "shared/db/redis_keys.hpp"
#include "shared/services/publisher.hpp"

namespace edgesync {

RevocationNotice RevocationNotice::for_account(std::string account_id) {
    return RevocationNotice{Scope::account, std::move(account_id), {}, {}};
}

RevocationNotice RevocationNotice::for_device(std::string account_id, std::string device_id) {
    return RevocationNotice{Scope::device, std::move(account_id), std::move(device_id), {}};
}

RevocationNotice RevocationNotice::for_session(std::string account_id, std::string session_id) {
    return RevocationNotice{Scope::session, std::move(account_id), {}, std::move(session_id)};
}

std::string revocation_message(const RevocationNotice& notice) {
    nlohmann::json j = nlohmann::json::object();
    switch (notice.scope) {
        case RevocationNotice::Scope::account:
            break;
        case RevocationNotice::Scope::device:
            j["device"] = notice.device_id;
            break;
        case RevocationNotice::Scope::session:
            j["session"] = notice.session_id;
            break;
    }
    j["account"] = notice.account_id;
    // Ids are UUIDs in practice; replace keeps dump() from throwing on bad UTF-8.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void publish_revocation(Publisher& publisher, const RevocationNotice& notice) {
    publisher.publish(std::string(redis_keys::k_revocations_channel), revocation_message(notice));
}

namespace {

// The member as a non-empty string; nullopt when absent; "" when present but invalid.
std::optional<std::string> member(const nlohmann::json& j, const char* name) {
    const auto it = j.find(name);
    if (it == j.end()) return std::nullopt;
    if (!it->is_string()) return std::string();
    return it->get<std::string>();
}

}  // namespace

std::optional<RevocationNotice> parse_revocation(std::string_view message) noexcept {
    try {
        const auto j = nlohmann::json::parse(message, nullptr, /*allow_exceptions=*/false);
        if (!j.is_object()) return std::nullopt;
        auto account = member(j, "account");
        auto device = member(j, "device");
        auto session = member(j, "session");
        if (!account || account->empty()) return std::nullopt;
        if (device && session) return std::nullopt;
        if (device) {
            if (device->empty()) return std::nullopt;
            return RevocationNotice::for_device(std::move(*account), std::move(*device));
        }
        if (session) {
            if (session->empty()) return std::nullopt;
            return RevocationNotice::for_session(std::move(*account), std::move(*session));
        }
        return RevocationNotice::for_account(std::move(*account));
    } catch (...) {
        return std::nullopt;  // e.g. std::bad_alloc: a notice we cannot read is no notice
    }
}

}  // namespace edgesync
