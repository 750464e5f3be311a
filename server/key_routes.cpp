#include "server/key_routes.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "server/json_fields.hpp"
#include "server/request_parsing.hpp"
#include "server/response.hpp"
#include "shared/crypto/account_key.hpp"
#include "shared/crypto/aead.hpp"
#include "shared/crypto/kdf.hpp"
#include "shared/crypto/recovery.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/repositories/account_repository.hpp"
#include "shared/repositories/device_repository.hpp"
#include "shared/util/time.hpp"

namespace edgesync::server {

namespace {

using nlohmann::json;

// A sealed box of the 32-byte account key is 80 bytes. Some slack for a
// future wrapping format, none for using the column as storage.
constexpr std::size_t k_min_sealed_key_bytes = crypto::k_box_seal_overhead;
constexpr std::size_t k_max_sealed_key_bytes = 1024;
// crypto::wrap_with_passphrase: XChaCha20-Poly1305 of the account key.
constexpr std::size_t k_recovery_wrapped_bytes =
    crypto::k_account_key_bytes + crypto::k_aead_tag_bytes;
constexpr std::int64_t k_max_key_version = std::numeric_limits<std::int32_t>::max();

Response forbidden(std::string_view message) {
    return error_response(403, error_code::forbidden, message);
}

Response conflict(std::string_view message) {
    return error_response(409, to_string(ServiceErrorCode::conflict), message);
}

std::string etag_of(std::int32_t version) { return fmt::format("\"{}\"", version); }

// True when the caller's device may write a key for itself or the recovery
// blob: it holds the key, or no unrevoked device of the account does (the
// first device, or every holder is gone and the key came from the passphrase).
// Otherwise a device that logged in with the password alone could plant an
// account key of its choosing. Read then write: two keyless devices racing
// may both pass, which only the first-device bootstrap can hit.
bool may_write_keys(DeviceRepository& devices, const std::string& account,
                    const std::string& caller) {
    bool others_hold = false;
    for (const auto& d : devices.list(account, /*include_revoked=*/false)) {
        if (!d.wrapped_account_key) continue;
        if (d.id == caller) return true;
        others_hold = true;
    }
    return !others_hold;
}

Response own_key(KeyRoutesDeps& deps, RequestContext& ctx) {
    const auto device = deps.devices.find(*ctx.account_id, *ctx.device_id);
    if (!device || !device->wrapped_account_key)
        return error_response(404, error_code::key_not_found,
                              "this device holds no wrapped account key yet");
    return json_response(200, {{"device_id", device->id},
                               {"wrapped_key", base64_encode(*device->wrapped_account_key)},
                               {"key_version", device->key_version}});
}

Response put_device_key(KeyRoutesDeps& deps, RequestContext& ctx) {
    auto target_id = uuid_param(ctx, "id");
    if (!target_id) return target_id.error();
    auto body = object_body(ctx);
    if (!body) return body.error();
    auto wrapped =
        base64_field(*body, "wrapped_key", k_min_sealed_key_bytes, k_max_sealed_key_bytes);
    if (!wrapped) return wrapped.error();
    auto version = int_field(*body, "key_version", 1, k_max_key_version);
    if (!version) return version.error();

    const auto& account = *ctx.account_id;
    const auto target = deps.devices.find(account, *target_id);
    if (!target) return error_response(404, error_code::not_found, "no such device");
    if (target->revoked())
        return error_response(403, to_string(ServiceErrorCode::revoked),
                              "the device is revoked: it can no longer receive the account key");
    if (target->public_key.empty())
        return conflict("the device has no public key to seal the account key to");

    if (target->id == *ctx.device_id) {
        if (!may_write_keys(deps.devices, account, *ctx.device_id))
            return forbidden(
                "another device of the account holds the account key: have it approve this "
                "device");
    } else {
        const auto caller = deps.devices.find(account, *ctx.device_id);
        if (!caller || !caller->wrapped_account_key)
            return forbidden("only a device that holds the account key can approve another device");
        if (caller->key_version != *version)
            return conflict(fmt::format("key_version must be the approving device's own ({})",
                                        caller->key_version));
    }
    auto stored = deps.devices.set_wrapped_key(account, target->id, *wrapped,
                                               static_cast<std::int32_t>(*version));
    if (!stored) {
        if (stored.error() == DeviceError::revoked)
            return error_response(403, to_string(ServiceErrorCode::revoked),
                                  "the device is revoked");
        return error_response(404, error_code::not_found, "no such device");
    }
    return json_response(200, {{"device_id", stored->id}, {"key_version", stored->key_version}});
}

json recovery_json(const AccountKey& k) {
    return {{"salt", base64_encode(k.kdf_salt)},
            {"opslimit", k.kdf_opslimit},
            {"memlimit", k.kdf_memlimit},
            {"nonce", base64_encode(k.nonce)},
            {"wrapped_key", base64_encode(k.wrapped_key)},
            {"key_version", k.key_version},
            {"created_at", format_rfc3339(k.created_at)},
            {"updated_at", format_rfc3339(k.updated_at)}};
}

Response get_recovery(KeyRoutesDeps& deps, RequestContext& ctx) {
    const auto key = deps.accounts.get_key(*ctx.account_id);
    if (!key)
        return error_response(404, error_code::key_not_found,
                              "the account has no recovery key yet");
    auto r = json_response(200, recovery_json(*key));
    r.headers.set("ETag", etag_of(key->key_version));
    return r;
}

// The recovery blob of the body, within what crypto::unwrap_with_passphrase
// accepts: anything else could never be opened by a device.
std::expected<AccountKey, Response> recovery_of(const json& body, const std::string& account) {
    AccountKey k;
    k.account_id = account;
    auto salt = base64_field(body, "salt", crypto::k_salt_bytes, crypto::k_salt_bytes);
    if (!salt) return std::unexpected(salt.error());
    auto nonce =
        base64_field(body, "nonce", crypto::k_aead_nonce_bytes, crypto::k_aead_nonce_bytes);
    if (!nonce) return std::unexpected(nonce.error());
    auto wrapped =
        base64_field(body, "wrapped_key", k_recovery_wrapped_bytes, k_recovery_wrapped_bytes);
    if (!wrapped) return std::unexpected(wrapped.error());
    const auto max = crypto::max_recovery_limits();
    const auto min = crypto::minimum_limits();
    auto ops = int_field(body, "opslimit", static_cast<std::int64_t>(min.opslimit),
                         static_cast<std::int64_t>(max.opslimit));
    if (!ops) return std::unexpected(ops.error());
    auto mem = int_field(body, "memlimit", static_cast<std::int64_t>(min.memlimit),
                         static_cast<std::int64_t>(max.memlimit));
    if (!mem) return std::unexpected(mem.error());
    auto version = int_field(body, "key_version", 1, k_max_key_version);
    if (!version) return std::unexpected(version.error());
    k.kdf_salt = std::move(*salt);
    k.nonce = std::move(*nonce);
    k.wrapped_key = std::move(*wrapped);
    k.kdf_opslimit = static_cast<std::uint64_t>(*ops);
    k.kdf_memlimit = static_cast<std::uint64_t>(*mem);
    k.key_version = static_cast<std::int32_t>(*version);
    return k;
}

// If-None-Match: * -> nullopt (create); If-Match: "V" -> V (replace).
std::expected<std::optional<std::int32_t>, Response> recovery_precondition(
    const RequestContext& ctx) {
    const auto match = ctx.request.headers.get("If-Match");
    const auto none_match = ctx.request.headers.get("If-None-Match");
    if (match && none_match)
        return std::unexpected(error_response(400, error_code::invalid_request,
                                              "send If-Match or If-None-Match, not both"));
    if (none_match) {
        if (*none_match != "*")
            return std::unexpected(error_response(400, error_code::invalid_request,
                                                  "If-None-Match must be * (create)"));
        return std::nullopt;
    }
    if (!match)
        return std::unexpected(error_response(
            428, error_code::precondition_required,
            "send If-None-Match: * to create the recovery key or If-Match: \"key_version\" "
            "to replace it"));
    std::string_view text = *match;
    std::int32_t version = 0;
    if (text.size() < 3 || text.front() != '"' || text.back() != '"')
        return std::unexpected(error_response(400, error_code::invalid_request,
                                              "If-Match must be a quoted key_version"));
    text = text.substr(1, text.size() - 2);
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
    if (ec != std::errc{} || ptr != text.data() + text.size() || version < 1)
        return std::unexpected(error_response(400, error_code::invalid_request,
                                              "If-Match must be a quoted key_version"));
    return version;
}

Response put_recovery(KeyRoutesDeps& deps, RequestContext& ctx) {
    auto precondition = recovery_precondition(ctx);
    if (!precondition) return precondition.error();
    auto body = object_body(ctx);
    if (!body) return body.error();
    auto key = recovery_of(*body, *ctx.account_id);
    if (!key) return key.error();
    if (!may_write_keys(deps.devices, *ctx.account_id, *ctx.device_id))
        return forbidden("only a device that holds the account key can write the recovery key");
    switch (deps.accounts.put_key_if(*key, *precondition)) {
        case KeyWriteOutcome::stored: {
            auto r = json_response(*precondition ? 200 : 201, {{"key_version", key->key_version}});
            r.headers.set("ETag", etag_of(key->key_version));
            return r;
        }
        case KeyWriteOutcome::account_not_found:
            return error_response(404, error_code::not_found, "no such account");
        case KeyWriteOutcome::precondition_failed:
            break;
    }
    const auto current = deps.accounts.get_key(*ctx.account_id);
    json body_out =
        error_body(error_code::precondition_failed,
                   current ? "the recovery key is at another key_version (see current)"
                           : "the account has no recovery key: create it with If-None-Match: *");
    if (current) body_out["current"] = recovery_json(*current);
    auto r = json_response(412, body_out);
    if (current) r.headers.set("ETag", etag_of(current->key_version));
    return r;
}

}  // namespace

void add_key_routes(Router& router, KeyRoutesDeps deps) {
    auto d = std::make_shared<KeyRoutesDeps>(deps);
    const RouteOptions authed{.blocking = true, .max_body_bytes = 16 * 1024, .auth = true};
    router.add(
        "GET", "/v1/keys/device", [d](RequestContext& ctx) { return own_key(*d, ctx); }, authed);
    router.add(
        "PUT", "/v1/keys/devices/{id}",
        [d](RequestContext& ctx) { return put_device_key(*d, ctx); }, authed);
    router.add(
        "GET", "/v1/keys/recovery", [d](RequestContext& ctx) { return get_recovery(*d, ctx); },
        authed);
    router.add(
        "PUT", "/v1/keys/recovery", [d](RequestContext& ctx) { return put_recovery(*d, ctx); },
        authed);
}

}  // namespace edgesync::server
