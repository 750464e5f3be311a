#include "shared/db/redis_reply.hpp"

#include <fmt/format.h>

#include "shared/util/error.hpp"

namespace edgesync {
namespace {

[[noreturn]] void wrong_type(RedisReply::Type want, RedisReply::Type got) {
    throw StorageError(
        fmt::format("Redis reply: expected {}, got {}", to_string(want), to_string(got)));
}

}  // namespace

RedisReply RedisReply::make_integer(std::int64_t v) {
    RedisReply r;
    r.m_type = Type::integer;
    r.m_integer = v;
    return r;
}

RedisReply RedisReply::make_string(std::string v) {
    RedisReply r;
    r.m_type = Type::string;
    r.m_str = std::move(v);
    return r;
}

RedisReply RedisReply::make_status(std::string v) {
    RedisReply r = make_string(std::move(v));
    r.m_type = Type::status;
    return r;
}

RedisReply RedisReply::make_error(std::string v) {
    RedisReply r = make_string(std::move(v));
    r.m_type = Type::error;
    return r;
}

RedisReply RedisReply::make_array(std::vector<RedisReply> v) {
    RedisReply r;
    r.m_type = Type::array;
    r.m_elements = std::move(v);
    return r;
}

std::int64_t RedisReply::as_integer() const {
    if (m_type != Type::integer) wrong_type(Type::integer, m_type);
    return m_integer;
}

const std::string& RedisReply::as_string() const {
    if (m_type != Type::string && m_type != Type::status && m_type != Type::error)
        wrong_type(Type::string, m_type);
    return m_str;
}

std::optional<std::string> RedisReply::as_optional_string() const {
    if (m_type == Type::nil) return std::nullopt;
    if (m_type != Type::string) wrong_type(Type::string, m_type);
    return m_str;
}

const std::vector<RedisReply>& RedisReply::as_array() const {
    if (m_type != Type::array) wrong_type(Type::array, m_type);
    return m_elements;
}

std::vector<std::string> RedisReply::as_string_array() const {
    std::vector<std::string> out;
    out.reserve(as_array().size());
    for (const auto& e : m_elements) {
        if (e.m_type != Type::string) wrong_type(Type::string, e.m_type);
        out.push_back(e.m_str);
    }
    return out;
}

const char* to_string(RedisReply::Type t) noexcept {
    switch (t) {
        case RedisReply::Type::nil:
            return "nil";
        case RedisReply::Type::integer:
            return "integer";
        case RedisReply::Type::string:
            return "string";
        case RedisReply::Type::status:
            return "status";
        case RedisReply::Type::error:
            return "error";
        case RedisReply::Type::array:
            return "array";
    }
    return "unknown";
}

}  // namespace edgesync
