#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "shared/crypto/password.hpp"

namespace edgesync::crypto {
namespace {

// Argon2id at its cheapest: these tests check behaviour, not strength.
const PwhashLimits k_fast = minimum_limits();

TEST(PasswordPolicy, RejectsElevenCharacters) {
    const auto error = check_password_policy("abcdefghijk");
    ASSERT_TRUE(error);
    EXPECT_EQ(*error, "password must be at least 12 characters");
    EXPECT_TRUE(check_password_policy(""));
}

TEST(PasswordPolicy, AcceptsTwelveCharacters) {
    EXPECT_EQ(check_password_policy("abcdefghijkl"), std::nullopt);
}

TEST(PasswordPolicy, CountsCharactersNotBytes) {
    std::string eleven_accented;
    for (int i = 0; i < 11; ++i) eleven_accented += "\xC3\xA9";  // é: 2 bytes, 1 character
    EXPECT_TRUE(check_password_policy(eleven_accented));
    EXPECT_EQ(check_password_policy(eleven_accented + "\xC3\xA9"), std::nullopt);
}

TEST(PasswordPolicy, AcceptsExactly1024BytesAndRejects1025) {
    EXPECT_EQ(check_password_policy(std::string(1024, 'x')), std::nullopt);
    const auto error = check_password_policy(std::string(1025, 'x'));
    ASSERT_TRUE(error);
    EXPECT_EQ(*error, "password must be at most 1024 bytes");
}

TEST(PasswordHash, VerifiesTheRightPasswordOnly) {
    const auto hash = hash_password("correct horse battery", k_fast);
    EXPECT_TRUE(verify_password(hash, "correct horse battery"));
    EXPECT_FALSE(verify_password(hash, "correct horse batterY"));
    EXPECT_FALSE(verify_password(hash, ""));
}

TEST(PasswordHash, IsAnArgon2idStringThatNeverContainsThePassword) {
    const auto hash = hash_password("correct horse battery", k_fast);
    EXPECT_TRUE(hash.starts_with("$argon2id$v=19$")) << hash;
    EXPECT_EQ(hash.find("correct horse battery"), std::string::npos);
}

TEST(PasswordHash, SamePasswordHashesDifferentlyEachTime) {
    const auto a = hash_password("correct horse battery", k_fast);
    const auto b = hash_password("correct horse battery", k_fast);
    EXPECT_NE(a, b);  // random salt
    EXPECT_TRUE(verify_password(a, "correct horse battery"));
    EXPECT_TRUE(verify_password(b, "correct horse battery"));
}

TEST(PasswordHash, BytesAfterAnEmbeddedNulCount) {
    const std::string with_nul("secret\0tail", 11);
    const auto hash = hash_password(with_nul, k_fast);
    EXPECT_TRUE(verify_password(hash, with_nul));
    EXPECT_FALSE(verify_password(hash, "secret"));
}

TEST(PasswordHash, MalformedOrForeignHashesNeverVerify) {
    EXPECT_FALSE(verify_password("", "password1234"));
    EXPECT_FALSE(verify_password("not a hash", "password1234"));
    EXPECT_FALSE(verify_password("$2b$12$abcdefghijklmnopqrstuuvwxyz0123456789ABCDEFGHIJKLMNOPQ",
                                 "password1234"));
    EXPECT_FALSE(verify_password("$argon2id$v=19$m=8,t=1,p=1$garbage", "password1234"));
    const auto hash = hash_password("password1234", k_fast);
    EXPECT_FALSE(verify_password(hash.substr(0, hash.size() - 4), "password1234"));
    EXPECT_FALSE(verify_password(hash + std::string(200, 'A'), "password1234"));
}

TEST(PasswordHash, RejectsInvalidLimits) {
    EXPECT_THROW((void)hash_password("x", PwhashLimits{0, k_fast.memlimit}), std::invalid_argument);
    EXPECT_THROW((void)hash_password("x", PwhashLimits{1, 1024}), std::invalid_argument);
}

TEST(PasswordHash, NeedsRehashWhenLimitsDiffer) {
    const auto hash = hash_password("correct horse battery", k_fast);
    EXPECT_FALSE(password_needs_rehash(hash, k_fast));
    EXPECT_TRUE(password_needs_rehash(hash, interactive_limits()));
    EXPECT_TRUE(password_needs_rehash("not a hash", k_fast));
}

TEST(PasswordHash, ProductionDefaultsAreInteractiveArgon2id) {
    const auto hash = hash_password("correct horse battery");
    EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=65536,t=2,p=1$")) << hash;
    EXPECT_TRUE(verify_password(hash, "correct horse battery"));
    EXPECT_FALSE(verify_password(hash, "wrong horse battery"));
    EXPECT_FALSE(password_needs_rehash(hash));
}

TEST(DummyVerify, RunsForAnyPasswordWithoutThrowing) {
    EXPECT_NO_THROW(dummy_verify("whatever the user typed", k_fast));
    EXPECT_NO_THROW(dummy_verify("", k_fast));
    EXPECT_NO_THROW(dummy_verify(std::string(1024, 'x'), k_fast));
}

}  // namespace
}  // namespace edgesync::crypto
