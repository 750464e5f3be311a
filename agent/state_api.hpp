#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "agent/api_client.hpp"
#include "shared/util/bytes.hpp"

// The server's state routes as the agent uses them (docs/server.md, States):
// typed requests and answers over ApiClient. Blobs are opaque ciphertext here.
namespace edgesync::agent {

struct RemoteState {
    std::string key;
    std::int64_t version = 0;
    std::int64_t seq = 0;
    std::string device_id;
    std::int64_t size = 0;
    bool deleted = false;
    Bytes state;  // empty for a tombstone
    Bytes nonce;  // empty for a tombstone
};

struct RemotePage {
    std::vector<RemoteState> states;
    std::int64_t next = 0;
    bool more = false;
};

struct ServerLimits {
    std::size_t max_blob_bytes = 0;
    std::size_t max_key_bytes = 0;
    std::size_t max_batch_items = 0;
    std::size_t max_batch_bytes = 0;
    std::size_t max_page_items = 0;
};

struct WriteDone {
    std::int64_t version = 0;
    std::int64_t seq = 0;
};

// A precondition did not hold (412) or the key is gone (404): `current` is
// the state as the server has it now, when it exists.
struct WriteConflict {
    std::string code;  // "precondition_failed" | "not_found"
    std::optional<RemoteState> current;
};

using WriteOutcome = std::variant<WriteDone, WriteConflict>;

struct BatchWrite {
    std::string key;
    bool remove = false;                   // delete instead of put
    std::optional<std::int64_t> if_match;  // nullopt: create (If-None-Match: *)
    Bytes state;
    Bytes nonce;
};

// Either every write was applied (`results`, in order) or none was, and
// `failed_index` names the write that failed with `conflict`.
struct BatchOutcome {
    std::vector<WriteDone> results;
    std::optional<std::size_t> failed_index;
    WriteConflict conflict;
};

class StateApi {
  public:
    explicit StateApi(ApiClient& api) : m_api(api) {}

    [[nodiscard]] ServerLimits limits();
    // GET /v1/states?after=&limit=
    [[nodiscard]] RemotePage changes(std::int64_t after, std::size_t limit);
    // GET /v1/states/{key}: nullopt when the key never existed; a tombstone
    // comes back with deleted = true.
    [[nodiscard]] std::optional<RemoteState> get(const std::string& key);
    // PUT with If-None-Match: * (if_match nullopt) or If-Match: "V".
    [[nodiscard]] WriteOutcome put(const std::string& key, const Bytes& state, const Bytes& nonce,
                                   std::optional<std::int64_t> if_match);
    // DELETE with If-Match: "V".
    [[nodiscard]] WriteOutcome remove(const std::string& key, std::int64_t if_match);
    // POST /v1/states:batch
    [[nodiscard]] BatchOutcome batch(const std::vector<BatchWrite>& writes);

  private:
    ApiClient& m_api;
};

// Reads a state object of the API; throws ApiError("bad_response") when malformed.
[[nodiscard]] RemoteState parse_remote_state(const nlohmann::json& j);

// Reads GET /v1/info's body: absent or null limits are 0 (unknown); a
// mistyped or negative one, or no `limits` object, is ApiError("bad_response").
[[nodiscard]] ServerLimits parse_server_limits(const nlohmann::json& info);

}  // namespace edgesync::agent
