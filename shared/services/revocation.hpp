#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace edgesync {

class Publisher;

// A notice on the `es:revocations` channel (redis_keys::k_revocations_channel;
// DESIGN: Redis keys, Auth): some access ended, so every server must drop the
// live connections (WebSocket, SSE, long polls) in its scope. The notice names a SCOPE, not a
// reason: a dropped client reconnects and learns why through the normal auth path (its session is
// gone, its device revoked, its account disabled). The sessions themselves are already deleted from
// Redis before the notice is published, so a server that misses a notice still refuses the next
// request.
//
// Wire format, JSON objects built only by revocation_message() (member order
// is not significant; readers use parse_revocation()):
//   {"account":"<aid>"}                    every connection of the account
//                                          (disable, delete, password change,
//                                          all sessions purged)
//   {"account":"<aid>","device":"<did>"}   every connection of that device
//                                          (device revoked, its sessions purged)
//   {"account":"<aid>","session":"<sid>"}  the connections of that session
struct RevocationNotice {
    enum class Scope { account, device, session };

    Scope scope = Scope::account;
    std::string account_id;  // always set
    std::string device_id;   // set iff scope == device
    std::string session_id;  // set iff scope == session

    [[nodiscard]] static RevocationNotice for_account(std::string account_id);
    [[nodiscard]] static RevocationNotice for_device(std::string account_id, std::string device_id);
    [[nodiscard]] static RevocationNotice for_session(std::string account_id,
                                                      std::string session_id);

    friend bool operator==(const RevocationNotice&, const RevocationNotice&) = default;
};

// The one place the JSON above is built.
[[nodiscard]] std::string revocation_message(const RevocationNotice& notice);

// Publishes revocation_message(notice) on redis_keys::k_revocations_channel
// ("es:revocations").
void publish_revocation(Publisher& publisher, const RevocationNotice& notice);

// Reads a message from es:revocations. nullopt for anything that is not
// exactly one of the three shapes (malformed JSON, non-string or empty ids, an
// object naming both a device and a session, no account). Never throws, so a
// server's subscriber loop cannot be killed by garbage on the channel. Unknown
// extra members are ignored (room for later additions).
[[nodiscard]] std::optional<RevocationNotice> parse_revocation(std::string_view message) noexcept;

}  // namespace edgesync
