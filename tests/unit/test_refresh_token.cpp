#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "shared/auth/refresh_token.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::auth {
namespace {

constexpr std::string_view k_aid = "11111111-1111-4111-8111-111111111111";
constexpr std::string_view k_sid = "33333333-3333-4333-8333-333333333333";

class RefreshToken : public ::testing::Test {
  protected:
    JwtKey m_key{"edgesync-test-key-0123456789abcdef"};
    std::string m_token = make_refresh_token(m_key, k_aid, k_sid);
};

TEST_F(RefreshToken, HasTheDocumentedShapeAndParsesToItsIds) {
    EXPECT_EQ(m_token.size(), k_refresh_token_chars);
    EXPECT_TRUE(m_token.starts_with("v1." + std::string(k_aid) + "." + std::string(k_sid) + "."));
    EXPECT_EQ(m_token.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
              std::string::npos);
    const auto ids = parse_refresh_token(m_key, m_token);
    ASSERT_TRUE(ids.has_value());
    EXPECT_EQ(ids->account_id, k_aid);
    EXPECT_EQ(ids->session_id, k_sid);
}

TEST_F(RefreshToken, EveryTokenCarriesAFreshSecret) {
    const auto again = make_refresh_token(m_key, k_aid, k_sid);
    EXPECT_NE(again, m_token);
    EXPECT_NE(refresh_token_hash(again), refresh_token_hash(m_token));
}

TEST_F(RefreshToken, ATokenOfAnotherKeyIsRefused) {
    const JwtKey other("another-secret-that-is-long-enough-0123");
    EXPECT_FALSE(parse_refresh_token(other, m_token).has_value());
}

TEST_F(RefreshToken, AnyChangedCharacterIsRefused) {
    // Naming another session with the same secret and tag is the attack the
    // tag exists for: it must not pass as "one of ours".
    std::string other_session = m_token;
    other_session.replace(3 + 37, 36, "44444444-4444-4444-8444-444444444444");
    EXPECT_FALSE(parse_refresh_token(m_key, other_session).has_value());
    for (std::size_t i = 0; i < m_token.size(); ++i) {
        if (m_token[i] == '.' || m_token[i] == '-') continue;
        std::string t = m_token;
        t[i] = t[i] == 'a' ? 'b' : 'a';
        EXPECT_FALSE(parse_refresh_token(m_key, t).has_value()) << "position " << i;
    }
}

TEST_F(RefreshToken, MalformedTokensAreRefused) {
    std::string upper = m_token;
    upper.replace(3, 36, "AAAAAAAA-1111-4111-8111-111111111111");
    std::string v2 = m_token;
    v2[1] = '2';
    std::string extra_dot = m_token;
    extra_dot[extra_dot.size() - 10] = '.';
    for (const std::string& t :
         {std::string(), std::string("v1"), m_token.substr(1), m_token + "A", upper, v2, extra_dot,
          std::string(k_refresh_token_chars, '.'), std::string(k_refresh_token_chars, 'A')})
        EXPECT_FALSE(parse_refresh_token(m_key, t).has_value()) << t;
}

TEST_F(RefreshToken, MakingOneNeedsLowerCaseUuids) {
    EXPECT_THROW((void)make_refresh_token(m_key, "alice", k_sid), std::invalid_argument);
    EXPECT_THROW((void)make_refresh_token(m_key, k_aid, "33333333-3333-4333-8333-33333333333A"),
                 std::invalid_argument);
}

TEST(RefreshTokenHash, IsHexBlake2b256OfTheText) {
    // Python: hashlib.blake2b(b"v1.example", digest_size=32).hexdigest()
    EXPECT_EQ(refresh_token_hash("v1.example"),
              "6408d3f450c1efcfcb28b4d69c5a976e77435a41c2d0b979bd4b31e9b9de2aee");
}

}  // namespace
}  // namespace edgesync::auth
