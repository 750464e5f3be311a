#include <gtest/gtest.h>

#include <stdexcept>

#include "shared/crypto/account_key.hpp"
#include "shared/crypto/aead.hpp"
#include "shared/crypto/kdf.hpp"
#include "shared/crypto/recovery.hpp"
#include "tests/unit/crypto_test_helpers.hpp"

namespace edgesync::crypto {
namespace {

using test::flip_bit;

constexpr std::string_view k_account = "6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
constexpr std::string_view k_passphrase = "violet kettle marble harbour";

class Recovery : public ::testing::Test {
protected:
    SecretBytes m_ak = generate_account_key();
    PassphraseWrappedKey m_wrapped =
        wrap_with_passphrase(m_ak, k_account, k_passphrase, minimum_limits());
};

TEST_F(Recovery, RightPassphraseUnwrapsTheAccountKey) {
    EXPECT_EQ(m_wrapped.salt.size(), k_salt_bytes);
    EXPECT_EQ(m_wrapped.nonce.size(), k_aead_nonce_bytes);
    EXPECT_EQ(m_wrapped.limits, minimum_limits());
    const auto ak = unwrap_with_passphrase(m_wrapped, k_account, k_passphrase);
    ASSERT_TRUE(ak);
    EXPECT_TRUE(*ak == m_ak);
}

TEST_F(Recovery, WrongPassphraseFails) {
    EXPECT_FALSE(unwrap_with_passphrase(m_wrapped, k_account, "violet kettle marble harbor"));
    EXPECT_FALSE(unwrap_with_passphrase(m_wrapped, k_account, ""));
}

TEST_F(Recovery, BlobOfAnotherAccountFails) {
    EXPECT_FALSE(unwrap_with_passphrase(m_wrapped, "00000000-0000-4000-8000-000000000000",
                                        k_passphrase));
}

TEST_F(Recovery, AnyChangedFieldFails) {
    auto w = m_wrapped;
    w.wrapped_key = flip_bit(w.wrapped_key, 5);
    EXPECT_FALSE(unwrap_with_passphrase(w, k_account, k_passphrase));
    w = m_wrapped;
    w.nonce = flip_bit(w.nonce, 5);
    EXPECT_FALSE(unwrap_with_passphrase(w, k_account, k_passphrase));
    w = m_wrapped;
    w.salt = flip_bit(w.salt, 5);
    EXPECT_FALSE(unwrap_with_passphrase(w, k_account, k_passphrase));
    w = m_wrapped;
    w.limits.opslimit += 1;
    EXPECT_FALSE(unwrap_with_passphrase(w, k_account, k_passphrase));
}

TEST_F(Recovery, MalformedFieldsFailWithoutThrowing) {
    auto w = m_wrapped;
    w.wrapped_key.pop_back();
    EXPECT_FALSE(unwrap_with_passphrase(w, k_account, k_passphrase));
    w = m_wrapped;
    w.nonce.clear();
    EXPECT_FALSE(unwrap_with_passphrase(w, k_account, k_passphrase));
    w = m_wrapped;
    w.salt.resize(8);
    EXPECT_FALSE(unwrap_with_passphrase(w, k_account, k_passphrase));
    w = m_wrapped;
    w.limits = PwhashLimits{};
    EXPECT_FALSE(unwrap_with_passphrase(w, k_account, k_passphrase));
}

TEST_F(Recovery, LimitsAboveTheCapAreRefusedBeforeAnyWork) {
    // A hostile server asking for 4 TiB of memory gets a refusal, not an attempt.
    auto w = m_wrapped;
    w.limits.memlimit = max_recovery_limits().memlimit * 4096;
    EXPECT_FALSE(unwrap_with_passphrase(w, k_account, k_passphrase));
    w = m_wrapped;
    w.limits.opslimit = max_recovery_limits().opslimit + 1;
    EXPECT_FALSE(unwrap_with_passphrase(w, k_account, k_passphrase));
    EXPECT_THROW((void)wrap_with_passphrase(m_ak, k_account, k_passphrase, w.limits),
                 std::invalid_argument);
}

TEST_F(Recovery, EachWrapUsesAFreshSaltAndNonce) {
    const auto again = wrap_with_passphrase(m_ak, k_account, k_passphrase, minimum_limits());
    EXPECT_NE(again.salt, m_wrapped.salt);
    EXPECT_NE(again.nonce, m_wrapped.nonce);
    EXPECT_NE(again.wrapped_key, m_wrapped.wrapped_key);
}

TEST_F(Recovery, RejectsAnAccountKeyOfTheWrongSize) {
    EXPECT_THROW((void)wrap_with_passphrase(Bytes(16, 1), k_account, k_passphrase, minimum_limits()),
                 std::invalid_argument);
}

TEST(RecoveryDefaults, UseModerateArgon2idAndRoundTrip) {
    const auto ak = generate_account_key();
    const auto wrapped = wrap_with_passphrase(ak, k_account, k_passphrase);
    EXPECT_EQ(wrapped.limits, moderate_limits());
    const auto back = unwrap_with_passphrase(wrapped, k_account, k_passphrase);
    ASSERT_TRUE(back);
    EXPECT_TRUE(*back == ak);
}

}  // namespace
}  // namespace edgesync::crypto
