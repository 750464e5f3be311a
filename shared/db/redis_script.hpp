#pragma once

#include <string>
#include <string_view>

namespace edgesync {

// A Lua script for RedisClient::eval. Immutable after construction, so one
// instance (typically a function-local static) can be shared by all threads.
// eval sends EVALSHA and falls back to EVAL on NOSCRIPT (Redis restarted, SCRIPT
// FLUSH, failover to a replica that never saw it); EVAL caches it again.
class RedisScript {
  public:
    explicit RedisScript(std::string source);

    [[nodiscard]] const std::string& source() const noexcept { return m_source; }
    // Lower-case hex SHA-1 of the source: the name Redis knows the script by.
    [[nodiscard]] const std::string& sha1() const noexcept { return m_sha1; }

  private:
    std::string m_source;
    std::string m_sha1;
};

// Lower-case hex SHA-1 (what SCRIPT LOAD returns). Not for security: Redis
// names scripts by it, that is all it is used for.
[[nodiscard]] std::string sha1_hex(std::string_view data);

}  // namespace edgesync
