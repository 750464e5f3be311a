#include "agent/state_api.hpp"

#include <string>
#include <type_traits>

namespace edgesync::agent {

using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& what) {
    throw ApiError(0, "bad_response", "the server sent a malformed " + what);
}

Bytes b64(const json& j, const char* name) {
    Bytes out;
    const auto it = j.find(name);
    if (it == j.end() || it->is_null()) return out;
    if (!it->is_string() || !base64_decode(it->get<std::string>(), out)) bad(std::string(name));
    return out;
}

std::int64_t integer(const json& j, const char* name) {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_number_integer()) bad(std::string("'") + name + "'");
    return it->get<std::int64_t>();
}

// An optional member: `fallback` when absent or null, bad() when it has another
// type (json::value() would throw nlohmann's type_error instead of ApiError).
template <typename T>
T optional_member(const json& j, const char* name, T fallback) {
    const auto it = j.find(name);
    if (it == j.end() || it->is_null()) return fallback;
    bool ok = false;
    if constexpr (std::is_same_v<T, bool>)
        ok = it->is_boolean();
    else if constexpr (std::is_same_v<T, std::string>)
        ok = it->is_string();
    else
        ok = it->is_number_integer();
    if (!ok) bad(std::string("'") + name + "'");
    return it->get<T>();
}

WriteDone done_of(const json& j) {
    if (!j.is_object()) bad("write result");
    return {integer(j, "version"), integer(j, "seq")};
}

std::optional<RemoteState> current_of(const json& body) {
    if (!body.is_object()) return std::nullopt;
    const auto it = body.find("current");
    if (it == body.end() || !it->is_object()) return std::nullopt;
    return parse_remote_state(*it);
}

std::string etag(std::int64_t version) { return "\"" + std::to_string(version) + "\""; }

}  // namespace

RemoteState parse_remote_state(const json& j) {
    if (!j.is_object()) bad("state");
    RemoteState s;
    const auto key = j.find("key");
    if (key == j.end() || !key->is_string()) bad("state key");
    s.key = key->get<std::string>();
    s.version = integer(j, "version");
    s.seq = integer(j, "seq");
    s.device_id = optional_member(j, "device_id", std::string());
    s.size = optional_member(j, "size", std::int64_t{0});
    s.deleted = optional_member(j, "deleted", false);
    s.state = b64(j, "state");
    s.nonce = b64(j, "nonce");
    return s;
}

ServerLimits StateApi::limits() { return parse_server_limits(m_api.call("GET", "/v1/info")); }

RemotePage StateApi::changes(std::int64_t after, std::size_t limit) {
    const auto j = m_api.call(
        "GET", "/v1/states?after=" + std::to_string(after) + "&limit=" + std::to_string(limit));
    if (!j.is_object() || !j.contains("states") || !j["states"].is_array()) bad("changes page");
    RemotePage page;
    for (const auto& s : j["states"]) page.states.push_back(parse_remote_state(s));
    page.next = integer(j, "next");
    page.more = optional_member(j, "more", false);
    return page;
}

std::optional<RemoteState> StateApi::get(const std::string& key) {
    try {
        return parse_remote_state(m_api.call("GET", "/v1/states/" + key));
    } catch (const ApiError& e) {
        if (e.status() == 404 && e.code() == "deleted") return current_of(e.body());
        if (e.status() == 404) return std::nullopt;
        throw;
    }
}

WriteOutcome StateApi::put(const std::string& key, const Bytes& state, const Bytes& nonce,
                           std::optional<std::int64_t> if_match) {
    HeaderList headers;
    if (if_match)
        headers.emplace_back("If-Match", etag(*if_match));
    else
        headers.emplace_back("If-None-Match", "*");
    try {
        return done_of(m_api.call(
            "PUT", "/v1/states/" + key,
            {{"state", base64_encode(state)}, {"nonce", base64_encode(nonce)}}, headers));
    } catch (const ApiError& e) {
        if (e.status() == 412 || (e.status() == 404 && e.code() == "not_found"))
            return WriteConflict{e.code(), current_of(e.body())};
        throw;
    }
}

WriteOutcome StateApi::remove(const std::string& key, std::int64_t if_match) {
    try {
        return done_of(
            m_api.call("DELETE", "/v1/states/" + key, nullptr, {{"If-Match", etag(if_match)}}));
    } catch (const ApiError& e) {
        if (e.status() == 412 || (e.status() == 404 && e.code() == "not_found"))
            return WriteConflict{e.code(), current_of(e.body())};
        throw;
    }
}

BatchOutcome StateApi::batch(const std::vector<BatchWrite>& writes) {
    json items = json::array();
    for (const auto& w : writes) {
        json item = {{"key", w.key}, {"op", w.remove ? "delete" : "put"}};
        if (w.if_match)
            item["if_match"] = *w.if_match;
        else
            item["if_none_match"] = true;
        if (!w.remove) {
            item["state"] = base64_encode(w.state);
            item["nonce"] = base64_encode(w.nonce);
        }
        items.push_back(std::move(item));
    }
    BatchOutcome out;
    try {
        const auto j = m_api.call("POST", "/v1/states:batch", {{"writes", std::move(items)}});
        if (!j.is_object() || !j.contains("results") || !j["results"].is_array())
            bad("batch result");
        for (const auto& r : j["results"]) out.results.push_back(done_of(r));
        if (out.results.size() != writes.size()) bad("batch result (count)");
    } catch (const ApiError& e) {
        const bool conflict = e.status() == 412 || (e.status() == 404 && e.code() == "not_found");
        if (!conflict || !e.body().is_object() || !e.body().contains("index")) throw;
        const auto index = e.body()["index"];
        if (!index.is_number_unsigned() || index.get<std::size_t>() >= writes.size())
            bad("batch error index");
        out.failed_index = index.get<std::size_t>();
        out.conflict = WriteConflict{e.code(), current_of(e.body())};
    }
    return out;
}

ServerLimits parse_server_limits(const json& info) {
    if (!info.is_object() || !info.contains("limits") || !info["limits"].is_object())
        bad("/v1/info");
    const auto& l = info["limits"];
    const auto limit = [&](const char* name) {
        const auto v = optional_member(l, name, std::int64_t{0});
        if (v < 0) bad(std::string("'") + name + "'");
        return static_cast<std::size_t>(v);
    };
    return {limit("max_blob_bytes"), limit("max_key_bytes"), limit("max_batch_items"),
            limit("max_batch_bytes"), limit("max_page_items")};
}

}  // namespace edgesync::agent
