#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "server/http_types.hpp"
#include "shared/models/state.hpp"

// The JSON and header forms of states for the /v1/states routes: the one
// state object, ETags and preconditions, key rules.
namespace edgesync::server {

// {"key","version","seq","device_id","size","updated_at","deleted",
//  "state","nonce"}: `state` and `nonce` are standard base64 of the stored
// bytes, absent for a tombstone (deleted = true).
[[nodiscard]] nlohmann::json state_json(const EncryptedState& s);

// A version as a strong entity tag: "\"7\"".
[[nodiscard]] std::string etag(std::int64_t version);

// A strong entity tag "\"V\"" (V > 0, surrounding blanks allowed) -> V.
[[nodiscard]] std::optional<std::int64_t> parse_etag(std::string_view text);

// If-None-Match of a GET: true when it names `version` or is `*` (weak tags
// compare by their value, RFC 9110 §13.1.2).
[[nodiscard]] bool none_match_hits(std::string_view header, std::int64_t version);

// 1..max_key_bytes bytes of [A-Za-z0-9._~-] (agents send base64url of a hash).
[[nodiscard]] bool valid_key(std::string_view key, std::size_t max_key_bytes);

// The precondition of a PUT from its headers: `If-None-Match: *` = create,
// `If-Match: "V"` = update version V. Neither: 428 precondition_required;
// both, or a malformed value: 400 invalid_precondition.
[[nodiscard]] std::expected<Precondition, Response> put_precondition(const Headers& headers);

// The standard base64 member `name` of `item`; 400 invalid_request when
// absent, not a string or not base64.
[[nodiscard]] std::expected<Bytes, Response> base64_field(const nlohmann::json& item,
                                                          const char* name);

}  // namespace edgesync::server
