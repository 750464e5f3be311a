#include "shared/repositories/redis_presence_repository.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>

#include "shared/db/redis_keys.hpp"
#include "shared/util/error.hpp"

namespace edgesync {
namespace keys = redis_keys;
using nlohmann::json;

namespace {

std::string presence_to_json(const Presence& p) {
    const json j = {
        {"status", p.status}, {"last_seen", format_rfc3339(p.last_seen)}, {"server", p.server}};
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The device id is part of the key, not of the document.
Presence presence_from_json(std::string device_id, const std::string& text) {
    try {
        const auto j = json::parse(text);
        Presence p;
        p.device_id = std::move(device_id);
        p.status = j.at("status").get<std::string>();
        const auto seen = parse_timestamp(j.at("last_seen").get<std::string>());
        if (!seen) throw StorageError("presence JSON: bad last_seen");
        p.last_seen = *seen;
        p.server = j.value("server", "");
        return p;
    } catch (const json::exception& e) {
        throw StorageError(fmt::format("presence JSON is malformed: {}", e.what()));
    }
}

void require_account(const std::string& account_id) {
    if (account_id.empty()) throw std::invalid_argument("presence repository: empty account id");
}

}  // namespace

void RedisPresenceRepository::set(const std::string& account_id, const Presence& p,
                                  std::chrono::seconds ttl) {
    require_account(account_id);
    if (p.device_id.empty()) throw std::invalid_argument("presence repository: empty device id");
    if (ttl.count() <= 0) throw std::invalid_argument("presence TTL must be > 0");
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(ttl);
    auto redis = m_pool.acquire();
    redis->command({"SET", keys::presence_key(account_id, p.device_id), presence_to_json(p), "PX",
                    std::to_string(ms.count())});
}

void RedisPresenceRepository::remove(const std::string& account_id, const std::string& device_id) {
    require_account(account_id);
    auto redis = m_pool.acquire();
    redis->command({"DEL", keys::presence_key(account_id, device_id)});
}

std::vector<std::optional<Presence>> RedisPresenceRepository::get_many(
    const std::string& account_id, const std::vector<std::string>& device_ids) {
    require_account(account_id);
    if (device_ids.empty()) return {};
    std::vector<std::string> mget{"MGET"};
    for (const auto& did : device_ids) mget.push_back(keys::presence_key(account_id, did));
    auto redis = m_pool.acquire();
    const auto reply = redis->command(mget);
    const auto& values = reply.as_array();
    if (values.size() != device_ids.size()) throw StorageError("Redis MGET: wrong reply count");
    std::vector<std::optional<Presence>> out;
    out.reserve(device_ids.size());
    for (std::size_t i = 0; i < device_ids.size(); ++i) {
        if (const auto raw = values[i].as_optional_string())
            out.emplace_back(presence_from_json(device_ids[i], *raw));
        else
            out.emplace_back(std::nullopt);
    }
    return out;
}

std::vector<Presence> RedisPresenceRepository::list(const std::string& account_id) {
    require_account(account_id);
    const auto prefix = keys::presence_key(account_id, "");
    const auto pattern = keys::presence_pattern(account_id);
    std::vector<Presence> out;
    auto redis = m_pool.acquire();
    std::string cursor = "0";
    do {
        const auto page =
            redis->command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000", "TYPE", "string"});
        const auto& parts = page.as_array();
        if (parts.size() != 2) throw StorageError("Redis SCAN: unexpected reply");
        cursor = parts[0].as_string();
        const auto found = parts[1].as_string_array();
        if (found.empty()) continue;
        std::vector<std::string> mget{"MGET"};
        mget.insert(mget.end(), found.begin(), found.end());
        const auto reply = redis->command(mget);
        const auto& values = reply.as_array();
        for (std::size_t i = 0; i < found.size() && i < values.size(); ++i)
            if (const auto raw = values[i].as_optional_string())  // nil: expired since SCAN
                out.push_back(presence_from_json(found[i].substr(prefix.size()), *raw));
    } while (cursor != "0");
    // SCAN may return a key twice (rehashing): keep one per device.
    std::sort(out.begin(), out.end(),
              [](const Presence& a, const Presence& b) { return a.device_id < b.device_id; });
    out.erase(std::unique(
                  out.begin(), out.end(),
                  [](const Presence& a, const Presence& b) { return a.device_id == b.device_id; }),
              out.end());
    return out;
}

}  // namespace edgesync
