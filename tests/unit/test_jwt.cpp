#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include "shared/auth/jwt.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::auth {
namespace {

constexpr std::string_view k_secret = "edgesync-test-key-0123456789abcdef";  // 34 bytes
constexpr std::string_view k_aid = "11111111-1111-4111-8111-111111111111";
constexpr std::string_view k_did = "22222222-2222-4222-8222-222222222222";
constexpr std::string_view k_sid = "33333333-3333-4333-8333-333333333333";
constexpr std::int64_t k_iat = 1'700'000'000;
constexpr std::int64_t k_exp = k_iat + 900;

// Computed independently with Python 3 (hmac, hashlib.sha256, base64,
// json.dumps(sort_keys=True, separators=(',', ':'))) from k_secret and the
// claims above.
constexpr std::string_view k_python_token =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJkaWQiOiIyMjIyMjIyMi0yMjIyLTQyMjItODIyMi0yMjIyMjIyMjIyMjIiLCJleHAiOjE3MDAwMDA5MDAsImlhdCI6"
    "MTcwMDAwMDAwMCwiaXNzIjoiZWRnZXN5bmMiLCJzaWQiOiIzMzMzMzMzMy0zMzMzLTQzMzMtODMzMy0zMzMzMzMzMzMz"
    "MzMiLCJzdWIiOiIxMTExMTExMS0xMTExLTQxMTEtODExMS0xMTExMTExMTExMTEifQ."
    "qMRe0SalVX2UEIMY-CMJRNRRkDjFPLh5yrTOqJRK9WQ";
// Same key and claims, spelled as another library might: header members
// reversed, spaces after separators, payload in another order with an extra
// claim ("extra":[1,2]). Also made with Python.
constexpr std::string_view k_python_peer_token =
    "eyJ0eXAiOiAiSldUIiwgImFsZyI6ICJIUzI1NiJ9."
    "eyJzdWIiOiAiMTExMTExMTEtMTExMS00MTExLTgxMTEtMTExMTExMTExMTExIiwgImV4cCI6IDE3MDAwMDA5MDAsICJp"
    "YXQiOiAxNzAwMDAwMDAwLCAiaXNzIjogImVkZ2VzeW5jIiwgImRpZCI6ICIyMjIyMjIyMi0yMjIyLTQyMjItODIyMi0y"
    "MjIyMjIyMjIyMjIiLCAic2lkIjogIjMzMzMzMzMzLTMzMzMtNDMzMy04MzMzLTMzMzMzMzMzMzMzMyIsICJleHRyYSI6"
    "IFsxLDJdfQ."
    "IhmPPcp3sekABvA4wvCbPvbRWHEC3kgovL7P0ZDyltE";

AccessClaims claims() {
    return {"edgesync", std::string(k_aid), std::string(k_did), std::string(k_sid), k_iat, k_exp};
}

Timestamp at(std::int64_t unix_seconds) { return from_unix(unix_seconds); }

std::string b64(std::string_view text) { return base64url_encode(to_bytes(text)); }

// A token with exactly this header and payload text, validly signed with `secret`.
std::string forge(std::string_view header, std::string_view payload,
                  std::string_view secret = k_secret) {
    const std::string input = b64(header) + "." + b64(payload);
    return input + "." + base64url_encode(crypto::hmac_sha256(to_bytes(secret), to_bytes(input)));
}

constexpr std::string_view k_hs256 = R"({"alg":"HS256","typ":"JWT"})";

std::string payload_with(std::string_view members) {
    return std::string("{") + std::string(members) + "}";
}

constexpr std::string_view k_all_claims =
    R"("iss":"edgesync","sub":"11111111-1111-4111-8111-111111111111",)"
    R"("did":"22222222-2222-4222-8222-222222222222","sid":"33333333-3333-4333-8333-333333333333",)"
    R"("iat":1700000000,"exp":1700000900)";

class Jwt : public ::testing::Test {
  protected:
    std::expected<AccessClaims, TokenError> verify(std::string_view token,
                                                   std::int64_t now_s = k_iat + 1) {
        return verify_access_token(m_key, token, at(now_s), "edgesync");
    }
    TokenError error_of(std::string_view token, std::int64_t now_s = k_iat + 1) {
        const auto r = verify(token, now_s);
        EXPECT_FALSE(r.has_value()) << token;
        return r ? TokenError::malformed : r.error();
    }
    JwtKey m_key{k_secret};
};

TEST_F(Jwt, IssuedTokenVerifiesToTheSameClaims) {
    const auto token = issue_access_token(m_key, claims());
    const auto back = verify(token);
    ASSERT_TRUE(back.has_value()) << to_string(back.error());
    EXPECT_EQ(*back, claims());
}

TEST_F(Jwt, MatchesAnIndependentlyComputedVector) {
    EXPECT_EQ(issue_access_token(m_key, claims()), k_python_token);
    const auto back = verify(k_python_token);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, claims());
}

TEST_F(Jwt, AcceptsAnotherSpellingOfTheSameHeaderAndClaims) {
    const auto back = verify(k_python_peer_token);
    ASSERT_TRUE(back.has_value()) << to_string(back.error());
    EXPECT_EQ(*back, claims());
}

TEST_F(Jwt, TypIsOptionalAndCaseInsensitive) {
    EXPECT_TRUE(verify(forge(R"({"alg":"HS256"})", payload_with(k_all_claims))).has_value());
    EXPECT_TRUE(
        verify(forge(R"({"alg":"HS256","typ":"jwt"})", payload_with(k_all_claims))).has_value());
}

TEST_F(Jwt, AlgNoneIsRefusedWithOrWithoutASignature) {
    const auto payload = payload_with(k_all_claims);
    const std::string unsigned_token =
        b64(R"({"alg":"none","typ":"JWT"})") + "." + b64(payload) + ".";
    EXPECT_EQ(error_of(unsigned_token), TokenError::unsupported_algorithm);
    EXPECT_EQ(error_of(forge(R"({"alg":"none"})", payload)), TokenError::unsupported_algorithm);
    EXPECT_EQ(error_of(forge(R"({"alg":"None"})", payload)), TokenError::unsupported_algorithm);
}

TEST_F(Jwt, OtherAlgorithmsAreRefused) {
    const auto payload = payload_with(k_all_claims);
    for (const char* header :
         {R"({"alg":"HS512","typ":"JWT"})", R"({"alg":"HS384"})", R"({"alg":"RS256","typ":"JWT"})",
          R"({"alg":"ES256"})", R"({"alg":"hs256"})", R"({"alg":""})"})
        EXPECT_EQ(error_of(forge(header, payload)), TokenError::unsupported_algorithm) << header;
}

TEST_F(Jwt, HeaderWithoutAStringAlgOrWithOtherMembersIsMalformed) {
    const auto payload = payload_with(k_all_claims);
    for (const char* header :
         {R"({"typ":"JWT"})", R"({})", R"({"alg":256})", R"({"alg":["HS256"]})",
          R"({"alg":"HS256","kid":"k1"})", R"({"alg":"HS256","crit":["exp"]})",
          R"({"alg":"HS256","typ":"JWS"})", R"({"alg":"HS256","typ":1})", R"(["HS256"])",
          R"("HS256")", R"({"alg":"HS256")", "not json"})
        EXPECT_EQ(error_of(forge(header, payload)), TokenError::malformed) << header;
}

TEST_F(Jwt, ChangedPayloadOrSignatureFailsTheSignatureCheck) {
    const std::string token(k_python_token);
    const auto dot1 = token.find('.');
    const auto dot2 = token.rfind('.');
    // Another account's id in an otherwise identical payload, old signature kept.
    std::string payload(k_all_claims);
    payload.replace(payload.find("11111111-1111"), 13, "44444444-4444");
    const std::string swapped =
        token.substr(0, dot1) + "." + b64(payload_with(payload)) + token.substr(dot2);
    EXPECT_EQ(error_of(swapped), TokenError::invalid_signature);

    std::string flipped = token;
    flipped[dot2 + 5] = flipped[dot2 + 5] == 'A' ? 'B' : 'A';
    EXPECT_EQ(error_of(flipped), TokenError::invalid_signature);

    // A signature of the wrong length (a valid HS512-sized blob).
    const std::string long_sig =
        token.substr(0, dot2 + 1) + base64url_encode(crypto::random_bytes(64));
    EXPECT_EQ(error_of(long_sig), TokenError::invalid_signature);
}

TEST_F(Jwt, ATokenSignedWithAnotherKeyIsRefused) {
    const JwtKey other("another-secret-that-is-long-enough-0123");
    EXPECT_EQ(error_of(issue_access_token(other, claims())), TokenError::invalid_signature);
    EXPECT_EQ(
        error_of(forge(k_hs256, payload_with(k_all_claims), "another-secret-0123456789-abcdefgh")),
        TokenError::invalid_signature);
}

TEST_F(Jwt, ExpiresAtExpNotAfter) {
    const auto token = issue_access_token(m_key, claims());
    EXPECT_TRUE(verify(token, k_exp - 1).has_value());
    EXPECT_EQ(error_of(token, k_exp), TokenError::expired);
    EXPECT_EQ(error_of(token, k_exp + 3600), TokenError::expired);
    // Sub-second precision of `now` is not rounded up into validity.
    EXPECT_TRUE(verify_access_token(m_key, token, at(k_exp - 1) + std::chrono::milliseconds(999),
                                    "edgesync")
                    .has_value());
}

TEST_F(Jwt, IatInTheFutureIsRefusedBeyondTheLeeway) {
    const auto token = issue_access_token(m_key, claims());
    const std::int64_t leeway = k_jwt_iat_leeway.count();
    EXPECT_TRUE(verify(token, k_iat - leeway).has_value());
    EXPECT_EQ(error_of(token, k_iat - leeway - 1), TokenError::invalid_claims);
    EXPECT_EQ(error_of(token, k_iat - 86400), TokenError::invalid_claims);
}

TEST_F(Jwt, WrongIssuerIsRefused) {
    auto c = claims();
    c.iss = "someone-else";
    EXPECT_EQ(error_of(issue_access_token(m_key, c)), TokenError::invalid_claims);
    EXPECT_EQ(verify_access_token(m_key, k_python_token, at(k_iat), "edgesync-staging").error(),
              TokenError::invalid_claims);
}

TEST_F(Jwt, MalformedShapesAreRefused) {
    const std::string good(k_python_token);
    const auto dot1 = good.find('.');
    const auto dot2 = good.rfind('.');
    const std::string padded = good.substr(0, dot1) + "==" + good.substr(dot1);
    const std::string not_base64 = good.substr(0, dot1 + 1) + "e30*" + good.substr(dot2);
    const std::string std_base64 =
        good.substr(0, dot2 + 1) + "qMRe0SalVX2UEIMY+CMJRNRRkDjFPLh5yrTOqJRK9WQ";
    for (const std::string& token :
         {std::string(), std::string("."), std::string(".."), std::string("..."),
          std::string("abc"), good.substr(0, dot2), good + ".", good + ".e30",
          "." + good.substr(dot1 + 1), good.substr(0, dot1) + ".." + good.substr(dot2 + 1), padded,
          not_base64, std_base64, " " + good, good + "\n", std::string(k_jwt_max_chars + 1, 'a')})
        EXPECT_EQ(error_of(token), TokenError::malformed) << token;
}

TEST_F(Jwt, PayloadThatIsNoJsonObjectIsMalformedEvenWhenSigned) {
    for (const char* payload : {"not json", "[]", "\"x\"", "42", "{\"iss\":", ""})
        EXPECT_EQ(error_of(forge(k_hs256, payload)), TokenError::malformed) << payload;
}

TEST_F(Jwt, EveryClaimIsRequired) {
    for (const char* name : {"iss", "sub", "did", "sid", "iat", "exp"}) {
        auto j = std::string(k_all_claims);
        // Rename the claim so it is missing but the JSON stays valid.
        const auto pos = j.find(std::string("\"") + name + "\"");
        ASSERT_NE(pos, std::string::npos);
        j[pos + 1] = 'X';
        EXPECT_EQ(error_of(forge(k_hs256, payload_with(j))), TokenError::invalid_claims) << name;
    }
}

TEST_F(Jwt, WronglyTypedClaimsAreRefused) {
    const std::string ids =
        R"("sub":"11111111-1111-4111-8111-111111111111","did":"22222222-2222-4222-8222-222222222222",)"
        R"("sid":"33333333-3333-4333-8333-333333333333")";
    for (const std::string& bad :
         {R"("iss":7,"iat":1700000000,"exp":1700000900,)" + ids,
          R"("iss":"edgesync","iat":"1700000000","exp":1700000900,)" + ids,
          R"("iss":"edgesync","iat":1700000000,"exp":1700000900.5,)" + ids,
          R"("iss":"edgesync","iat":1700000000,"exp":null,)" + ids,
          R"("iss":"edgesync","iat":-1,"exp":1700000900,)" + ids,
          R"("iss":"edgesync","iat":1700000000,"exp":18446744073709551615,)" + ids,
          R"("iss":"edgesync","iat":1700000000,"exp":1e10,)" + ids,
          std::string(R"("iss":"edgesync","iat":1700000000,"exp":1700000900,"sub":1,)"
                      R"("did":"22222222-2222-4222-8222-222222222222",)"
                      R"("sid":"33333333-3333-4333-8333-333333333333")")})
        EXPECT_EQ(error_of(forge(k_hs256, payload_with(bad))), TokenError::invalid_claims) << bad;
}

TEST_F(Jwt, IdsMustBeUuids) {
    for (const char* name : {"sub", "did", "sid"}) {
        auto j = std::string(k_all_claims);
        const auto pos = j.find(std::string("\"") + name + "\":\"");
        ASSERT_NE(pos, std::string::npos);
        const auto value = pos + 7;  // first character of the UUID, after "xxx":"
        j.replace(value, 36, "alice-and-not-a-uuid-at-all-xxxxxxxx");
        EXPECT_EQ(error_of(forge(k_hs256, payload_with(j))), TokenError::invalid_claims) << name;
    }
}

TEST_F(Jwt, ExpMustComeAfterIat) {
    std::string j(k_all_claims);
    j.replace(j.find("1700000900"), 10, "1700000000");
    EXPECT_EQ(error_of(forge(k_hs256, payload_with(j)), k_iat), TokenError::invalid_claims);
}

TEST_F(Jwt, IssuingRefusesClaimsThatWouldNotVerify) {
    auto c = claims();
    c.sub = "alice";
    EXPECT_THROW((void)issue_access_token(m_key, c), std::invalid_argument);
    c = claims();
    c.exp = c.iat;
    EXPECT_THROW((void)issue_access_token(m_key, c), std::invalid_argument);
    c = claims();
    c.iss = "";
    EXPECT_THROW((void)issue_access_token(m_key, c), std::invalid_argument);
    c = claims();
    c.iss = "\xff\xfe";
    EXPECT_THROW((void)issue_access_token(m_key, c), std::invalid_argument);
}

TEST(JwtKeyTest, KeysShorterThan32BytesAreRefused) {
    EXPECT_THROW((void)JwtKey(std::string(31, 'k')), std::invalid_argument);
    EXPECT_NO_THROW((void)JwtKey(std::string(32, 'k')));
}

TEST(TokenErrorTest, NamesAreStable) {
    EXPECT_EQ(to_string(TokenError::malformed), "malformed");
    EXPECT_EQ(to_string(TokenError::unsupported_algorithm), "unsupported_algorithm");
    EXPECT_EQ(to_string(TokenError::invalid_signature), "invalid_signature");
    EXPECT_EQ(to_string(TokenError::expired), "expired");
    EXPECT_EQ(to_string(TokenError::invalid_claims), "invalid_claims");
}

}  // namespace
}  // namespace edgesync::auth
