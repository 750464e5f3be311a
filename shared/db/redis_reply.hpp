#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace edgesync {

// One RESP2 reply, owned and detached from hiredis so hiredis never appears in a
// header. Strings are binary-safe (std::string used as a byte buffer).
class RedisReply {
  public:
    enum class Type { nil, integer, string, status, error, array };

    RedisReply() = default;  // nil
    [[nodiscard]] static RedisReply make_nil() { return {}; }
    [[nodiscard]] static RedisReply make_integer(std::int64_t v);
    [[nodiscard]] static RedisReply make_string(std::string v);
    [[nodiscard]] static RedisReply make_status(std::string v);
    [[nodiscard]] static RedisReply make_error(std::string v);
    [[nodiscard]] static RedisReply make_array(std::vector<RedisReply> v);

    [[nodiscard]] Type type() const noexcept { return m_type; }
    [[nodiscard]] bool is_nil() const noexcept { return m_type == Type::nil; }
    [[nodiscard]] bool is_integer() const noexcept { return m_type == Type::integer; }
    [[nodiscard]] bool is_string() const noexcept { return m_type == Type::string; }
    [[nodiscard]] bool is_status() const noexcept { return m_type == Type::status; }
    [[nodiscard]] bool is_error() const noexcept { return m_type == Type::error; }
    [[nodiscard]] bool is_array() const noexcept { return m_type == Type::array; }

    // The typed accessors throw StorageError when the reply has another type:
    // a reply of an unexpected shape means the server is not what we think it is.
    [[nodiscard]] std::int64_t as_integer() const;
    // The text of a string, status or error reply.
    [[nodiscard]] const std::string& as_string() const;
    // A string reply, or nullopt for nil (GET of a missing key).
    [[nodiscard]] std::optional<std::string> as_optional_string() const;
    [[nodiscard]] const std::vector<RedisReply>& as_array() const;
    // Array of strings (SMEMBERS, KEYS); nil elements are not allowed.
    [[nodiscard]] std::vector<std::string> as_string_array() const;

    // True iff this is a status reply with exactly this text (e.g. "OK").
    [[nodiscard]] bool is_status(const std::string& text) const {
        return m_type == Type::status && m_str == text;
    }

    friend bool operator==(const RedisReply&, const RedisReply&) = default;

  private:
    Type m_type = Type::nil;
    std::int64_t m_integer = 0;          // valid iff integer
    std::string m_str;                   // valid iff string, status or error
    std::vector<RedisReply> m_elements;  // valid iff array
};

[[nodiscard]] const char* to_string(RedisReply::Type t) noexcept;

}  // namespace edgesync
