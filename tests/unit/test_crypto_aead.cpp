#include <gtest/gtest.h>

#include <stdexcept>

#include "shared/crypto/aead.hpp"
#include "shared/crypto/hash.hpp"
#include "tests/unit/crypto_test_helpers.hpp"

namespace edgesync::crypto {
namespace {

using test::flip_bit;

class Aead : public ::testing::Test {
protected:
    SecretBytes m_key = generate_aead_key();
    Bytes m_plaintext = edgesync::to_bytes("the quick brown fox");
    Bytes m_ad = edgesync::to_bytes("account-1/state-key");
};

TEST_F(Aead, RoundTripsPlaintextWithItsAssociatedData) {
    const auto sealed = seal(m_key, m_plaintext, m_ad);
    EXPECT_EQ(sealed.nonce.size(), k_aead_nonce_bytes);
    EXPECT_EQ(sealed.ciphertext.size(), m_plaintext.size() + k_aead_tag_bytes);
    const auto opened = open(m_key, sealed.nonce, sealed.ciphertext, m_ad);
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, m_plaintext);
}

TEST_F(Aead, RoundTripsEmptyPlaintextAndEmptyAssociatedData) {
    const auto sealed = seal(m_key, Bytes{}, Bytes{});
    EXPECT_EQ(sealed.ciphertext.size(), k_aead_tag_bytes);
    const auto opened = open(m_key, sealed.nonce, sealed.ciphertext, Bytes{});
    ASSERT_TRUE(opened);
    EXPECT_TRUE(opened->empty());
}

TEST_F(Aead, CiphertextDoesNotContainPlaintext) {
    const auto sealed = seal(m_key, m_plaintext, m_ad);
    const Bytes body(sealed.ciphertext.begin(), sealed.ciphertext.begin() + m_plaintext.size());
    EXPECT_NE(body, m_plaintext);
}

TEST_F(Aead, EachSealUsesAFreshNonce) {
    const auto a = seal(m_key, m_plaintext, m_ad);
    const auto b = seal(m_key, m_plaintext, m_ad);
    EXPECT_NE(a.nonce, b.nonce);
    EXPECT_NE(a.ciphertext, b.ciphertext);
}

TEST_F(Aead, AnyFlippedCiphertextOrTagBitFailsToOpen) {
    const auto sealed = seal(m_key, m_plaintext, m_ad);
    for (std::size_t bit = 0; bit < sealed.ciphertext.size() * 8; ++bit)
        EXPECT_FALSE(open(m_key, sealed.nonce, flip_bit(sealed.ciphertext, bit), m_ad)) << bit;
}

TEST_F(Aead, AnyFlippedNonceBitFailsToOpen) {
    const auto sealed = seal(m_key, m_plaintext, m_ad);
    for (std::size_t bit = 0; bit < sealed.nonce.size() * 8; ++bit)
        EXPECT_FALSE(open(m_key, flip_bit(sealed.nonce, bit), sealed.ciphertext, m_ad)) << bit;
}

TEST_F(Aead, ChangedAssociatedDataFailsToOpen) {
    const auto sealed = seal(m_key, m_plaintext, m_ad);
    EXPECT_FALSE(open(m_key, sealed.nonce, sealed.ciphertext, flip_bit(m_ad, 3)));
    EXPECT_FALSE(open(m_key, sealed.nonce, sealed.ciphertext, Bytes{}));
    auto longer = m_ad;
    longer.push_back(0);
    EXPECT_FALSE(open(m_key, sealed.nonce, sealed.ciphertext, longer));
}

TEST_F(Aead, WrongKeyFailsToOpen) {
    const auto sealed = seal(m_key, m_plaintext, m_ad);
    EXPECT_FALSE(open(generate_aead_key(), sealed.nonce, sealed.ciphertext, m_ad));
}

TEST_F(Aead, TruncatedOrExtendedCiphertextFailsWithoutCrashing) {
    const auto sealed = seal(m_key, m_plaintext, m_ad);
    for (std::size_t n = 0; n < sealed.ciphertext.size(); ++n) {
        const Bytes cut(sealed.ciphertext.begin(), sealed.ciphertext.begin() + static_cast<long>(n));
        EXPECT_FALSE(open(m_key, sealed.nonce, cut, m_ad)) << n;
    }
    auto extended = sealed.ciphertext;
    extended.push_back(0);
    EXPECT_FALSE(open(m_key, sealed.nonce, extended, m_ad));
}

TEST_F(Aead, NonceOfWrongSizeFailsWithoutThrowing) {
    const auto sealed = seal(m_key, m_plaintext, m_ad);
    const Bytes short_nonce(sealed.nonce.begin(), sealed.nonce.end() - 1);
    auto long_nonce = sealed.nonce;
    long_nonce.push_back(0);
    EXPECT_FALSE(open(m_key, short_nonce, sealed.ciphertext, m_ad));
    EXPECT_FALSE(open(m_key, long_nonce, sealed.ciphertext, m_ad));
    EXPECT_FALSE(open(m_key, Bytes{}, sealed.ciphertext, m_ad));
}

TEST_F(Aead, KeyOfWrongSizeIsAProgrammingError) {
    const auto short_key = random_bytes(k_aead_key_bytes - 1);
    const auto long_key = random_bytes(k_aead_key_bytes + 1);
    EXPECT_THROW((void)seal(short_key, m_plaintext, m_ad), std::invalid_argument);
    EXPECT_THROW((void)seal(long_key, m_plaintext, m_ad), std::invalid_argument);
    const auto sealed = seal(m_key, m_plaintext, m_ad);
    EXPECT_THROW((void)open(short_key, sealed.nonce, sealed.ciphertext, m_ad), std::invalid_argument);
}

TEST_F(Aead, GeneratedKeysAreRandom) {
    const auto other = generate_aead_key();
    EXPECT_EQ(m_key.size(), k_aead_key_bytes);
    EXPECT_FALSE(m_key == other);
}

}  // namespace
}  // namespace edgesync::crypto
