#include "shared/repositories/redis_session_repository.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>

#include "shared/db/redis_keys.hpp"
#include "shared/db/redis_script.hpp"
#include "shared/util/error.hpp"

namespace edgesync {
namespace keys = redis_keys;
using nlohmann::json;

namespace {

// KEYS: session, account index, device index. ARGV: json, ttl ms, sid.
// Stores the session unless its id exists (returns 0), indexes it, and extends
// each index set's expiry to at least this session's.
const RedisScript& create_script() {
    static const RedisScript script(R"lua(
local ttl = tonumber(ARGV[2])
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl, 'NX') then return 0 end
for i = 2, 3 do
  redis.call('SADD', KEYS[i], ARGV[3])
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
)lua");
    return script;
}

// KEYS: session, account index, device index. ARGV: expected hash, new hash,
// last_used_at, expires_at (text), ttl ms. Compare-and-set of refresh_hash that
// also moves the session's end (sliding expiry) and extends each index set's
// expiry to at least the session's; 1 if replaced, else 0.
const RedisScript& rotate_script() {
    static const RedisScript script(R"lua(
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local s = cjson.decode(raw)
if s['refresh_hash'] ~= ARGV[1] then return 0 end
s['refresh_hash'] = ARGV[2]
s['last_used_at'] = ARGV[3]
s['expires_at'] = ARGV[4]
local ttl = tonumber(ARGV[5])
redis.call('SET', KEYS[1], cjson.encode(s), 'PX', ttl)
for i = 2, 3 do
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
)lua");
    return script;
}

Timestamp parse_time(const json& j, const char* field) {
    const auto t = parse_timestamp(j.at(field).get<std::string>());
    if (!t) throw StorageError(fmt::format("session JSON: bad timestamp in '{}'", field));
    return *t;
}

void require_account(const std::string& account_id) {
    if (account_id.empty()) throw std::invalid_argument("session repository: empty account id");
}

void require_ids(const std::string& account_id, const std::string& other, const char* what) {
    require_account(account_id);
    if (other.empty())
        throw std::invalid_argument(fmt::format("session repository: empty {}", what));
}

std::vector<std::string> with_prefix(std::vector<std::string> head,
                                     const std::vector<std::string>& tail) {
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
}

// How many replies are integer 1: DEL results, one per session ended.
std::size_t count_ones(const std::vector<RedisReply>& replies, std::size_t first,
                       std::size_t count) {
    std::size_t n = 0;
    for (std::size_t i = first; i < first + count; ++i)
        if (replies[i].as_integer() == 1) ++n;
    return n;
}

}  // namespace

std::string session_to_json(const Session& s) {
    const json j = {{"id", s.id},
                    {"account_id", s.account_id},
                    {"device_id", s.device_id},
                    {"refresh_hash", s.refresh_hash},
                    {"created_at", format_rfc3339(s.created_at)},
                    {"expires_at", format_rfc3339(s.expires_at)},
                    {"last_used_at", format_rfc3339(s.last_used_at)},
                    {"ip", s.ip},
                    {"user_agent", s.user_agent}};
    // The user agent comes from a request header: replace invalid UTF-8 instead of throwing.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Session session_from_json(const std::string& text) {
    try {
        const auto j = json::parse(text);
        Session s;
        s.id = j.at("id").get<std::string>();
        s.account_id = j.at("account_id").get<std::string>();
        s.device_id = j.at("device_id").get<std::string>();
        s.refresh_hash = j.at("refresh_hash").get<std::string>();
        s.created_at = parse_time(j, "created_at");
        s.expires_at = parse_time(j, "expires_at");
        s.last_used_at = parse_time(j, "last_used_at");
        s.ip = j.value("ip", "");
        s.user_agent = j.value("user_agent", "");
        return s;
    } catch (const json::exception& e) {
        throw StorageError(fmt::format("session JSON is malformed: {}", e.what()));
    }
}

namespace {

// The create script's KEYS then ARGV for `s`, after create()'s checks.
std::vector<std::string> create_arguments(const Session& s) {
    require_ids(s.account_id, s.id, "session id");
    if (s.device_id.empty()) throw std::invalid_argument("session repository: empty device id");
    // Round up so a session with 1 µs left still gets a positive TTL.
    const auto ttl = std::chrono::ceil<std::chrono::milliseconds>(s.expires_at - now());
    if (ttl.count() <= 0) throw std::invalid_argument("session expires_at is not in the future");
    return {keys::session_key(s.account_id, s.id),
            keys::account_sessions_key(s.account_id),
            keys::device_sessions_key(s.account_id, s.device_id),
            session_to_json(s),
            std::to_string(ttl.count()),
            s.id};
}

}  // namespace

void RedisSessionRepository::create(const Session& s) {
    auto a = create_arguments(s);
    auto redis = m_pool.acquire();
    const auto created = redis->eval(create_script(), {a[0], a[1], a[2]}, {a[3], a[4], a[5]});
    if (created.as_integer() != 1) throw std::invalid_argument("session id is already in use");
}

void RedisSessionRepository::create_many(const std::vector<Session>& sessions, std::size_t batch) {
    if (batch == 0) throw std::invalid_argument("session repository: batch size 0");
    auto redis = m_pool.acquire();
    const auto& script = create_script();
    redis->command({"SCRIPT", "LOAD", script.source()});  // so EVALSHA normally finds it
    bool id_in_use = false;
    for (std::size_t first = 0; first < sessions.size(); first += batch) {
        const std::size_t end = std::min(sessions.size(), first + batch);
        std::vector<std::vector<std::string>> commands;
        commands.reserve(end - first);
        for (std::size_t i = first; i < end; ++i) {
            auto a = create_arguments(sessions[i]);
            commands.push_back({"EVALSHA", script.sha1(), "3", std::move(a[0]), std::move(a[1]),
                                std::move(a[2]), std::move(a[3]), std::move(a[4]),
                                std::move(a[5])});
        }
        const auto replies = redis->pipeline_raw(commands);
        for (std::size_t i = 0; i < replies.size(); ++i) {
            auto reply = replies[i];
            // Scripts flushed meanwhile (SCRIPT FLUSH, a restart): eval() reloads.
            if (reply.is_error() && reply.as_string().starts_with("NOSCRIPT")) {
                const auto& c = commands[i];
                reply = redis->eval(script, {c[3], c[4], c[5]}, {c[6], c[7], c[8]});
            }
            if (reply.is_error())
                throw StorageError("Redis: session create failed: " + reply.as_string());
            if (reply.as_integer() != 1) id_in_use = true;
        }
    }
    if (id_in_use) throw std::invalid_argument("session id is already in use");
}

std::optional<Session> RedisSessionRepository::get(const std::string& account_id,
                                                   const std::string& session_id) {
    require_ids(account_id, session_id, "session id");
    auto redis = m_pool.acquire();
    const auto raw =
        redis->command({"GET", keys::session_key(account_id, session_id)}).as_optional_string();
    if (!raw) return std::nullopt;
    return session_from_json(*raw);
}

std::vector<Session> RedisSessionRepository::list(const std::string& account_id) {
    require_account(account_id);
    const auto index = keys::account_sessions_key(account_id);
    auto redis = m_pool.acquire();
    const auto ids = redis->command({"SMEMBERS", index}).as_string_array();
    if (ids.empty()) return {};
    std::vector<std::vector<std::string>> gets;
    gets.reserve(ids.size());
    for (const auto& sid : ids) gets.push_back({"GET", keys::session_key(account_id, sid)});
    const auto replies = redis->pipeline(gets);

    std::vector<Session> sessions;
    std::vector<std::string> stale;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (const auto raw = replies[i].as_optional_string())
            sessions.push_back(session_from_json(*raw));
        else
            stale.push_back(ids[i]);
    }
    if (!stale.empty()) redis->command(with_prefix({"SREM", index}, stale));
    std::sort(sessions.begin(), sessions.end(), [](const Session& a, const Session& b) {
        return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
    });
    return sessions;
}

bool RedisSessionRepository::rotate_refresh(const Session& current, const std::string& new_hash,
                                            Timestamp new_expires_at) {
    require_ids(current.account_id, current.id, "session id");
    if (current.device_id.empty())
        throw std::invalid_argument("session repository: empty device id");
    const auto ttl = std::chrono::ceil<std::chrono::milliseconds>(new_expires_at - now());
    if (ttl.count() <= 0) throw std::invalid_argument("session expires_at is not in the future");
    auto redis = m_pool.acquire();
    return redis
               ->eval(rotate_script(),
                      {keys::session_key(current.account_id, current.id),
                       keys::account_sessions_key(current.account_id),
                       keys::device_sessions_key(current.account_id, current.device_id)},
                      {current.refresh_hash, new_hash, format_rfc3339(now()),
                       format_rfc3339(new_expires_at), std::to_string(ttl.count())})
               .as_integer() == 1;
}

bool RedisSessionRepository::remove(const std::string& account_id, const std::string& session_id) {
    require_ids(account_id, session_id, "session id");
    const auto key = keys::session_key(account_id, session_id);
    const auto index = keys::account_sessions_key(account_id);
    auto redis = m_pool.acquire();
    // The device id (immutable) is only in the session itself.
    const auto raw = redis->command({"GET", key}).as_optional_string();
    if (!raw) {
        redis->command({"SREM", index, session_id});  // a stale entry, if any
        return false;
    }
    const auto device_id = session_from_json(*raw).device_id;
    const auto results = redis->transaction(
        {{"DEL", key},
         {"SREM", index, session_id},
         {"SREM", keys::device_sessions_key(account_id, device_id), session_id}});
    return results[0].as_integer() == 1;
}

std::size_t RedisSessionRepository::remove_all(const std::string& account_id) {
    require_account(account_id);
    const auto index = keys::account_sessions_key(account_id);
    auto redis = m_pool.acquire();
    const auto ids = redis->command({"SMEMBERS", index}).as_string_array();
    if (ids.empty()) return 0;
    std::vector<std::vector<std::string>> gets;
    for (const auto& sid : ids) gets.push_back({"GET", keys::session_key(account_id, sid)});
    const auto sessions = redis->pipeline(gets);

    std::vector<std::vector<std::string>> tx;
    for (const auto& sid : ids) tx.push_back({"DEL", keys::session_key(account_id, sid)});
    tx.push_back(with_prefix({"SREM", index}, ids));
    // Device index entries of sessions that already expired are unknown here;
    // sweep() drops those.
    std::map<std::string, std::vector<std::string>> by_device;
    for (std::size_t i = 0; i < ids.size(); ++i)
        if (const auto raw = sessions[i].as_optional_string())
            by_device[session_from_json(*raw).device_id].push_back(ids[i]);
    for (const auto& [device_id, sids] : by_device)
        tx.push_back(with_prefix({"SREM", keys::device_sessions_key(account_id, device_id)}, sids));
    return count_ones(redis->transaction(tx), 0, ids.size());
}

std::size_t RedisSessionRepository::remove_by_device(const std::string& account_id,
                                                     const std::string& device_id) {
    require_ids(account_id, device_id, "device id");
    const auto device_index = keys::device_sessions_key(account_id, device_id);
    auto redis = m_pool.acquire();
    const auto ids = redis->command({"SMEMBERS", device_index}).as_string_array();
    if (ids.empty()) return 0;
    std::vector<std::vector<std::string>> tx;
    for (const auto& sid : ids) tx.push_back({"DEL", keys::session_key(account_id, sid)});
    tx.push_back(with_prefix({"SREM", keys::account_sessions_key(account_id)}, ids));
    tx.push_back(with_prefix({"SREM", device_index}, ids));
    return count_ones(redis->transaction(tx), 0, ids.size());
}

SweepStats RedisSessionRepository::sweep() {
    SweepStats stats;
    auto redis = m_pool.acquire();
    std::string cursor = "0";
    do {
        const auto page =
            redis->command({"SCAN", cursor, "MATCH", std::string(keys::k_session_index_pattern),
                            "COUNT", "1000", "TYPE", "set"});
        const auto& parts = page.as_array();
        if (parts.size() != 2) throw StorageError("Redis SCAN: unexpected reply");
        cursor = parts[0].as_string();
        std::vector<std::string> index_keys;
        for (auto& k : parts[1].as_string_array())
            if (!keys::parse_session_index_key(k).empty()) index_keys.push_back(std::move(k));
        if (index_keys.empty()) continue;
        stats.index_keys_scanned += index_keys.size();

        std::vector<std::vector<std::string>> smembers;
        for (const auto& k : index_keys) smembers.push_back({"SMEMBERS", k});
        const auto members = redis->pipeline(smembers);

        // (index position, sid) for every entry, checked with one EXISTS each.
        std::vector<std::pair<std::size_t, std::string>> entries;
        std::vector<std::vector<std::string>> exists;
        for (std::size_t i = 0; i < index_keys.size(); ++i) {
            const auto aid = keys::parse_session_index_key(index_keys[i]);
            for (auto& sid : members[i].as_string_array()) {
                exists.push_back({"EXISTS", keys::session_key(aid, sid)});
                entries.emplace_back(i, std::move(sid));
            }
        }
        if (entries.empty()) continue;
        const auto alive = redis->pipeline(exists);
        std::map<std::size_t, std::vector<std::string>> stale;
        for (std::size_t j = 0; j < entries.size(); ++j)
            if (alive[j].as_integer() == 0) stale[entries[j].first].push_back(entries[j].second);
        if (stale.empty()) continue;
        std::vector<std::vector<std::string>> srems;
        for (const auto& [i, sids] : stale)
            srems.push_back(with_prefix({"SREM", index_keys[i]}, sids));
        for (const auto& r : redis->pipeline(srems))
            stats.stale_removed += static_cast<std::size_t>(r.as_integer());
    } while (cursor != "0");
    return stats;
}

}  // namespace edgesync
