#pragma once

// Internal to shared/db: the hiredis plumbing shared by RedisClient and
// RedisSubscriber. Declares hiredis types without including hiredis.h.

#include <memory>
#include <string>
#include <string_view>

#include "shared/config/config.hpp"
#include "shared/db/redis_client.hpp"
#include "shared/db/redis_reply.hpp"
#include "shared/util/error.hpp"

struct redisContext;
struct redisReply;

namespace edgesync::detail {

using RedisContextPtr = std::unique_ptr<redisContext, void (*)(redisContext*)>;

// A ConnectionError from a failed socket read/write. `timed_out` tells a
// command timeout (no retry: Redis is slow or gone) from a dropped connection.
class RedisIoError : public ConnectionError {
  public:
    RedisIoError(const std::string& what, bool timed_out)
        : ConnectionError(what), m_timed_out(timed_out) {}
    [[nodiscard]] bool timed_out() const noexcept { return m_timed_out; }

  private:
    bool m_timed_out;
};

// Connects with the connect timeout, sets the command timeout and TCP
// keepalive, then AUTH and SELECT as the endpoint says. Throws ConnectionError.
[[nodiscard]] RedisContextPtr open_redis_context(const RedisEndpoint& endpoint,
                                                 const RedisOptions& options);

// Throws RedisIoError describing the context's error; call right after the
// failing hiredis call (it reads errno). `what` names the operation (never
// argument values).
[[noreturn]] void throw_io_error(const redisContext& c, std::string_view what,
                                 const RedisOptions& options);

[[nodiscard]] RedisReply convert_reply(const redisReply& r);

// Frees a reply hiredis handed over.
struct ReplyDeleter {
    void operator()(redisReply* r) const noexcept;
};
using RedisReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// An error reply's text without the argument echo Redis 7 appends to unknown
// command errors (", with args beginning with: ..."), which may hold secrets.
[[nodiscard]] std::string safe_error_text(std::string_view text);

}  // namespace edgesync::detail
