// Pure parts of the Redis layer: key names, script hashing, the retry rule,
// reply accessors and the session document. No Redis needed.
#include <gtest/gtest.h>

#include "shared/db/redis_client.hpp"
#include "shared/db/redis_keys.hpp"
#include "shared/db/redis_reply.hpp"
#include "shared/db/redis_script.hpp"
#include "shared/repositories/redis_session_repository.hpp"
#include "shared/util/error.hpp"

namespace edgesync {
namespace {

namespace keys = redis_keys;

TEST(RedisKeys, FollowDesignWithAccountHashTag) {
    EXPECT_EQ(keys::session_key("A", "S"), "es:{A}:session:S");
    EXPECT_EQ(keys::account_sessions_key("A"), "es:{A}:sessions");
    EXPECT_EQ(keys::device_sessions_key("A", "D"), "es:{A}:device:D:sessions");
    EXPECT_EQ(keys::presence_key("A", "D"), "es:{A}:presence:D");
    EXPECT_EQ(keys::login_ratelimit_key("a@b.c", "1.2.3.4"), "es:ratelimit:login:a@b.c:1.2.3.4");
    EXPECT_EQ(keys::account_channel("A"), "es:account:{A}");
    EXPECT_EQ(keys::k_revocations_channel, "es:revocations");
}

TEST(RedisKeys, ParseSessionIndexKeyAcceptsOnlyIndexSets) {
    EXPECT_EQ(keys::parse_session_index_key("es:{A}:sessions"), "A");
    EXPECT_EQ(keys::parse_session_index_key("es:{A}:device:D:sessions"), "A");
    EXPECT_EQ(keys::parse_session_index_key("es:{A}:session:x:sessions"), "");
    EXPECT_EQ(keys::parse_session_index_key("es:{A}:device::sessions"), "");
    EXPECT_EQ(keys::parse_session_index_key("es:{}:sessions"), "");
    EXPECT_EQ(keys::parse_session_index_key("es:{A}:presence:D"), "");
    EXPECT_EQ(keys::parse_session_index_key("other"), "");
}

TEST(RedisKeys, PresencePatternEscapesGlobCharacters) {
    EXPECT_EQ(keys::presence_pattern("a*b?[c]\\"), "es:{a\\*b\\?\\[c\\]\\\\}:presence:*");
    EXPECT_EQ(keys::presence_pattern("plain"), "es:{plain}:presence:*");
}

TEST(RedisScriptHash, MatchesKnownSha1Vectors) {
    EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    EXPECT_EQ(sha1_hex(std::string(1000000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    EXPECT_EQ(RedisScript("return 1").sha1(), sha1_hex("return 1"));
}

TEST(RedisRetryRule, OnlyReadsAndPlainSetAreIdempotent) {
    EXPECT_TRUE(is_idempotent({"GET", "k"}));
    EXPECT_TRUE(is_idempotent({"mget", "a", "b"}));
    EXPECT_TRUE(is_idempotent({"SET", "k", "v"}));
    EXPECT_TRUE(is_idempotent({"SET", "k", "v", "PX", "100"}));
    EXPECT_TRUE(is_idempotent({"SET", "k", "v", "EX", "NX"}));  // "NX" is EX's value here
    EXPECT_FALSE(is_idempotent({"SET", "k", "v", "NX"}));
    EXPECT_FALSE(is_idempotent({"SET", "k", "v", "PX", "5", "xx"}));
    EXPECT_FALSE(is_idempotent({"SET", "k", "v", "GET"}));
    EXPECT_FALSE(is_idempotent({"INCR", "k"}));
    EXPECT_FALSE(is_idempotent({"DEL", "k"}));
    EXPECT_FALSE(is_idempotent({"EVALSHA", "x", "0"}));
    EXPECT_FALSE(is_idempotent({"PUBLISH", "c", "m"}));
    EXPECT_FALSE(is_idempotent({}));
}

TEST(RedisReplyType, TypedAccessorsRejectOtherTypes) {
    const auto i = RedisReply::make_integer(7);
    EXPECT_EQ(i.as_integer(), 7);
    EXPECT_THROW((void)i.as_string(), StorageError);
    EXPECT_THROW((void)i.as_array(), StorageError);
    EXPECT_EQ(RedisReply::make_nil().as_optional_string(), std::nullopt);
    EXPECT_EQ(RedisReply::make_string("x").as_optional_string(), "x");
    EXPECT_THROW((void)RedisReply::make_status("OK").as_optional_string(), StorageError);
    EXPECT_TRUE(RedisReply::make_status("OK").is_status("OK"));
    const auto arr = RedisReply::make_array({RedisReply::make_string("a"), RedisReply::make_nil()});
    EXPECT_THROW((void)arr.as_string_array(), StorageError);
}

TEST(SessionDocument, RoundTripsEveryField) {
    Session s;
    s.id = "sid";
    s.account_id = "aid";
    s.device_id = "did";
    s.refresh_hash = "abcd";
    s.created_at = now();
    s.expires_at = s.created_at + std::chrono::hours(1);
    s.last_used_at = s.created_at + std::chrono::microseconds(1);
    s.ip = "10.0.0.1";
    s.user_agent = "agent/1.0 \"quoted\"";
    const auto back = session_from_json(session_to_json(s));
    EXPECT_EQ(back.id, s.id);
    EXPECT_EQ(back.account_id, s.account_id);
    EXPECT_EQ(back.device_id, s.device_id);
    EXPECT_EQ(back.refresh_hash, s.refresh_hash);
    EXPECT_EQ(back.created_at, s.created_at);
    EXPECT_EQ(back.expires_at, s.expires_at);
    EXPECT_EQ(back.last_used_at, s.last_used_at);
    EXPECT_EQ(back.ip, s.ip);
    EXPECT_EQ(back.user_agent, s.user_agent);
}

TEST(SessionDocument, InvalidUtf8UserAgentIsReplacedNotFatal) {
    Session s;
    s.id = "sid";
    s.user_agent = std::string("bad \xff\xfe bytes");
    EXPECT_NO_THROW((void)session_from_json(session_to_json(s)));
}

TEST(SessionDocument, MalformedJsonIsAStorageError) {
    EXPECT_THROW((void)session_from_json("{"), StorageError);
    EXPECT_THROW((void)session_from_json("{\"id\":1}"), StorageError);
}

}  // namespace
}  // namespace edgesync
