#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "shared/crypto/account_key.hpp"
#include "shared/crypto/aead.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/kdf.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "tests/unit/crypto_test_helpers.hpp"

namespace edgesync::crypto {
namespace {

using test::flip_bit;
using test::from_hex;

// --- SecretBytes -------------------------------------------------------------

TEST(SecretBytes, CopiesCompareEqualAndMovesLeaveTheSourceEmpty) {
    const SecretBytes a(random_bytes(32));
    SecretBytes b = a;
    EXPECT_TRUE(a == b);
    SecretBytes c = std::move(b);
    EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move): the contract under test
    EXPECT_TRUE(c == a);
    SecretBytes d(random_bytes(32));
    EXPECT_FALSE(d == a);
    d = c;
    EXPECT_TRUE(d == a);
    d = SecretBytes(random_bytes(16));
    EXPECT_EQ(d.size(), 16U);
}

TEST(SecretBytes, WipeZeroesAndEmptiesPlainBytes) {
    auto plain = random_bytes(32);
    wipe(plain);
    EXPECT_TRUE(plain.empty());
}

// --- Sealed boxes (device key wrapping) --------------------------------------

TEST(SealedBox, OnlyTheRecipientKeyPairOpensIt) {
    const auto device = generate_box_keypair();
    const auto other = generate_box_keypair();
    const auto message = random_bytes(32);
    const auto sealed = seal_to(device.public_key, message);
    EXPECT_EQ(sealed.size(), message.size() + k_box_seal_overhead);
    const auto opened = open_sealed(device, sealed);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->to_bytes(), message);
    EXPECT_FALSE(open_sealed(other, sealed));
}

TEST(SealedBox, EachSealUsesAFreshEphemeralKey) {
    const auto device = generate_box_keypair();
    const auto message = random_bytes(32);
    EXPECT_NE(seal_to(device.public_key, message), seal_to(device.public_key, message));
}

TEST(SealedBox, AnyFlippedBitFailsToOpen) {
    const auto device = generate_box_keypair();
    const auto sealed = seal_to(device.public_key, random_bytes(8));
    for (std::size_t bit = 0; bit < sealed.size() * 8; ++bit)
        EXPECT_FALSE(open_sealed(device, flip_bit(sealed, bit))) << bit;
}

TEST(SealedBox, TruncatedInputFailsWithoutCrashing) {
    const auto device = generate_box_keypair();
    const auto sealed = seal_to(device.public_key, random_bytes(32));
    for (std::size_t n = 0; n < sealed.size(); ++n) {
        const Bytes cut(sealed.begin(), sealed.begin() + static_cast<long>(n));
        EXPECT_FALSE(open_sealed(device, cut)) << n;
    }
}

TEST(SealedBox, EmptyMessageRoundTrips) {
    const auto device = generate_box_keypair();
    const auto opened = open_sealed(device, seal_to(device.public_key, Bytes{}));
    ASSERT_TRUE(opened);
    EXPECT_TRUE(opened->empty());
}

TEST(SealedBox, KeyPairRebuiltFromItsSecretKeyHasTheSamePublicKey) {
    const auto device = generate_box_keypair();
    const auto rebuilt = box_keypair_from_secret(device.secret_key);
    EXPECT_EQ(rebuilt.public_key, device.public_key);
    const auto message = random_bytes(32);
    const auto opened = open_sealed(rebuilt, seal_to(device.public_key, message));
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->to_bytes(), message);
}

TEST(SealedBox, MalformedPublicKeysAreRejected) {
    EXPECT_THROW((void)seal_to(random_bytes(31), as_bytes("ak")), std::invalid_argument);
    EXPECT_THROW((void)seal_to(random_bytes(33), as_bytes("ak")), std::invalid_argument);
    EXPECT_THROW((void)seal_to(Bytes(32, 0), as_bytes("ak")), std::invalid_argument);  // low order
    EXPECT_THROW((void)box_keypair_from_secret(random_bytes(16)), std::invalid_argument);
    BoxKeyPair broken{random_bytes(31), SecretBytes(random_bytes(32))};
    EXPECT_THROW((void)open_sealed(broken, random_bytes(64)), std::invalid_argument);
}

// --- crypto_kdf subkeys ------------------------------------------------------

class Kdf : public ::testing::Test {
protected:
    Bytes m_master = random_bytes(k_kdf_master_key_bytes);
};

TEST_F(Kdf, SameInputsGiveTheSameSubkey) {
    EXPECT_TRUE(derive_subkey(m_master, 7, "Examples") == derive_subkey(m_master, 7, "Examples"));
}

TEST_F(Kdf, DifferentIdsContextsOrMastersGiveDifferentSubkeys) {
    const auto base = derive_subkey(m_master, 1, "Examples");
    EXPECT_FALSE(base == derive_subkey(m_master, 2, "Examples"));
    EXPECT_FALSE(base == derive_subkey(m_master, 1, "Examplez"));
    EXPECT_FALSE(base == derive_subkey(random_bytes(32), 1, "Examples"));
    EXPECT_NE(base.to_bytes(), m_master);
}

TEST_F(Kdf, SubkeyHasTheRequestedLength) {
    EXPECT_EQ(derive_subkey(m_master, 1, "Examples").size(), 32U);
    EXPECT_EQ(derive_subkey(m_master, 1, "Examples", 16).size(), 16U);
    EXPECT_EQ(derive_subkey(m_master, 1, "Examples", 64).size(), 64U);
}

TEST_F(Kdf, RejectsBadMasterContextOrLength) {
    EXPECT_THROW((void)derive_subkey(random_bytes(31), 1, "Examples"), std::invalid_argument);
    EXPECT_THROW((void)derive_subkey(m_master, 1, "Example"), std::invalid_argument);
    EXPECT_THROW((void)derive_subkey(m_master, 1, "Examples!"), std::invalid_argument);
    EXPECT_THROW((void)derive_subkey(m_master, 1, "Examples", 15), std::invalid_argument);
    EXPECT_THROW((void)derive_subkey(m_master, 1, "Examples", 65), std::invalid_argument);
}

// --- Passphrase-derived keys -------------------------------------------------

class PassphraseKey : public ::testing::Test {
protected:
    PwhashLimits m_fast = minimum_limits();
    Bytes m_salt = random_salt();
};

TEST_F(PassphraseKey, SameInputsGiveTheSameKey) {
    const auto a = derive_key_from_passphrase("tulip anvil orbit", m_salt, m_fast);
    const auto b = derive_key_from_passphrase("tulip anvil orbit", m_salt, m_fast);
    EXPECT_EQ(a.size(), k_passphrase_key_bytes);
    EXPECT_TRUE(a == b);
}

TEST_F(PassphraseKey, PassphraseSaltAndLimitsEachChangeTheKey) {
    const auto base = derive_key_from_passphrase("tulip anvil orbit", m_salt, m_fast);
    EXPECT_FALSE(base == derive_key_from_passphrase("tulip anvil orbiT", m_salt, m_fast));
    EXPECT_FALSE(base == derive_key_from_passphrase("tulip anvil orbit", random_salt(), m_fast));
    EXPECT_FALSE(base == derive_key_from_passphrase("tulip anvil orbit", m_salt,
                                                    PwhashLimits{2, m_fast.memlimit}));
}

TEST_F(PassphraseKey, RandomSaltsAreSixteenFreshBytes) {
    EXPECT_EQ(m_salt.size(), k_salt_bytes);
    EXPECT_NE(m_salt, random_salt());
}

TEST_F(PassphraseKey, RejectsBadSaltOrLimits) {
    EXPECT_THROW((void)derive_key_from_passphrase("p", random_bytes(15), m_fast), std::invalid_argument);
    EXPECT_THROW((void)derive_key_from_passphrase("p", m_salt, PwhashLimits{0, m_fast.memlimit}),
                 std::invalid_argument);
    EXPECT_THROW((void)derive_key_from_passphrase("p", m_salt, PwhashLimits{1, 1024}),
                 std::invalid_argument);
}

// --- The account key hierarchy -----------------------------------------------

TEST(AccountKey, GeneratedKeysAreThirtyTwoRandomBytes) {
    const auto a = generate_account_key();
    EXPECT_EQ(a.size(), k_account_key_bytes);
    EXPECT_FALSE(a == generate_account_key());
}

TEST(AccountKey, SubkeyDerivationIsPinned) {
    // Changing a subkey id or context would make every stored blob unreadable.
    // Reference: Python hashlib.blake2b(b"", digest_size=32, key=bytes(range(32)),
    //   salt=id.to_bytes(8, "little") + bytes(8), person=context + bytes(8)).
    Bytes ak(32);
    for (std::size_t i = 0; i < ak.size(); ++i) ak[i] = static_cast<std::uint8_t>(i);
    EXPECT_EQ(hex_encode(derive_blob_key(ak).to_bytes()),
              "e7e73c1f551e3d6b77860709c20fe48f8e1b4c60b5d0168a934761ee7cc160c1");
    EXPECT_EQ(hex_encode(derive_name_key(ak).to_bytes()),
              "567ea8837072fb1aefa0f996c1c5aa65ee6751575adf0c590642349f808820db");
}

TEST(AccountKey, BlobAndNameKeysDifferFromEachOtherAndTheAccountKey) {
    const auto ak = generate_account_key();
    const auto blob = derive_blob_key(ak);
    const auto name = derive_name_key(ak);
    EXPECT_FALSE(blob == name);
    EXPECT_FALSE(blob == ak);
    EXPECT_FALSE(name == ak);
    EXPECT_THROW((void)derive_blob_key(random_bytes(16)), std::invalid_argument);
}

TEST(StateKeyForPath, IsDeterministicOpaqueAndUrlSafe) {
    const auto name_key = derive_name_key(generate_account_key());
    const auto key = state_key_for_path(name_key, "docs/taxes 2025.pdf");
    EXPECT_EQ(key, state_key_for_path(name_key, "docs/taxes 2025.pdf"));
    EXPECT_EQ(key.size(), 43U);  // base64url of 32 bytes, unpadded
    EXPECT_EQ(key.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    EXPECT_EQ(key.find("taxes"), std::string::npos);
    EXPECT_NE(key, state_key_for_path(name_key, "docs/taxes 2026.pdf"));
    EXPECT_NE(key, state_key_for_path(derive_name_key(generate_account_key()),
                                      "docs/taxes 2025.pdf"));
}

TEST(BlobAssociatedData, IsUnambiguousAcrossTheAccountAndKeyBoundary) {
    EXPECT_NE(blob_associated_data("ab", "c"), blob_associated_data("a", "bc"));
    EXPECT_EQ(blob_associated_data("a", "b"), blob_associated_data("a", "b"));
}

TEST(BlobAssociatedData, BlobMovedToAnotherKeyOrAccountFailsToOpen) {
    const auto blob_key = derive_blob_key(generate_account_key());
    const auto content = as_bytes("file contents");
    const auto sealed = seal(blob_key, content, blob_associated_data("acct-1", "key-A"));
    EXPECT_TRUE(open(blob_key, sealed.nonce, sealed.ciphertext, blob_associated_data("acct-1", "key-A")));
    EXPECT_FALSE(open(blob_key, sealed.nonce, sealed.ciphertext, blob_associated_data("acct-1", "key-B")));
    EXPECT_FALSE(open(blob_key, sealed.nonce, sealed.ciphertext, blob_associated_data("acct-2", "key-A")));
}

}  // namespace
}  // namespace edgesync::crypto
