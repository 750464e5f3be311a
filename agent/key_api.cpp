#include "agent/key_api.hpp"

#include <limits>

namespace edgesync::agent {

using nlohmann::json;

namespace {

[[noreturn]] void bad_response(const std::string& what) {
    throw ApiError(200, "bad_response", "the server sent a malformed answer: " + what);
}

std::string text_of(const json& j, const char* name) {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_string()) bad_response(std::string("'") + name + "'");
    return it->get<std::string>();
}

Bytes bytes_of(const json& j, const char* name) {
    Bytes out;
    if (!base64_decode(text_of(j, name), out)) bad_response(std::string("'") + name + "'");
    return out;
}

template <typename T>
T number_of(const json& j, const char* name) {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_number_integer()) bad_response(std::string("'") + name + "'");
    const auto v = it->get<std::int64_t>();
    if (v < 0 ||
        static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
        bad_response(std::string("'") + name + "' out of range");
    return static_cast<T>(v);
}

bool is_not_found(const ApiError& e) { return e.status() == 404; }

}  // namespace

std::vector<DeviceInfo> list_devices(ApiClient& api) {
    const auto answer = api.call("GET", "/v1/devices");
    if (!answer.is_object() || !answer.contains("devices") || !answer["devices"].is_array())
        bad_response("no 'devices' list");
    std::vector<DeviceInfo> out;
    for (const auto& d : answer["devices"]) {
        if (!d.is_object()) bad_response("a device is not an object");
        DeviceInfo info;
        info.id = text_of(d, "id");
        info.name = text_of(d, "name");
        info.device_type = text_of(d, "device_type");
        if (d.contains("public_key") && d["public_key"].is_string())
            info.public_key = bytes_of(d, "public_key");
        info.has_wrapped_key = d.value("has_wrapped_key", false);
        info.key_version = d.value("key_version", 0);
        info.revoked = d.contains("revoked_at") && !d["revoked_at"].is_null();
        info.current = d.value("current", false);
        out.push_back(std::move(info));
    }
    return out;
}

std::optional<SealedAccountKey> get_own_key(ApiClient& api) {
    json answer;
    try {
        answer = api.call("GET", "/v1/keys/device");
    } catch (const ApiError& e) {
        if (is_not_found(e)) return std::nullopt;
        throw;
    }
    if (!answer.is_object()) bad_response("not an object");
    return SealedAccountKey{bytes_of(answer, "wrapped_key"),
                            number_of<std::int32_t>(answer, "key_version")};
}

void put_device_key(ApiClient& api, const std::string& device_id, const SealedAccountKey& key) {
    (void)api.call(
        "PUT", "/v1/keys/devices/" + device_id,
        {{"wrapped_key", base64_encode(key.wrapped_key)}, {"key_version", key.key_version}});
}

std::optional<RecoveryBlob> get_recovery(ApiClient& api) {
    json answer;
    try {
        answer = api.call("GET", "/v1/keys/recovery");
    } catch (const ApiError& e) {
        if (is_not_found(e)) return std::nullopt;
        throw;
    }
    if (!answer.is_object()) bad_response("not an object");
    RecoveryBlob blob;
    blob.wrapped.salt = bytes_of(answer, "salt");
    blob.wrapped.nonce = bytes_of(answer, "nonce");
    blob.wrapped.wrapped_key = bytes_of(answer, "wrapped_key");
    // Checked against max_recovery_limits() by unwrap_with_passphrase before
    // any work: a hostile server cannot make this device burn memory.
    blob.wrapped.limits.opslimit = number_of<std::uint64_t>(answer, "opslimit");
    blob.wrapped.limits.memlimit = number_of<std::uint64_t>(answer, "memlimit");
    blob.key_version = number_of<std::int32_t>(answer, "key_version");
    return blob;
}

bool create_recovery(ApiClient& api, const RecoveryBlob& blob) {
    const auto& w = blob.wrapped;
    try {
        (void)api.call("PUT", "/v1/keys/recovery",
                       {{"salt", base64_encode(w.salt)},
                        {"opslimit", w.limits.opslimit},
                        {"memlimit", w.limits.memlimit},
                        {"nonce", base64_encode(w.nonce)},
                        {"wrapped_key", base64_encode(w.wrapped_key)},
                        {"key_version", blob.key_version}},
                       {{"If-None-Match", "*"}});
    } catch (const ApiError& e) {
        if (e.status() == 412) return false;
        throw;
    }
    return true;
}

bool account_has_states(ApiClient& api) {
    const auto answer = api.call("GET", "/v1/states?after=0&limit=1");
    if (!answer.is_object() || !answer.contains("states") || !answer["states"].is_array())
        bad_response("no 'states' list");
    return !answer["states"].empty();
}

}  // namespace edgesync::agent
