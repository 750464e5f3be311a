#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "shared/crypto/hash.hpp"
#include "tests/unit/crypto_test_helpers.hpp"

namespace edgesync::crypto {
namespace {

using test::from_hex;

Bytes sequential_key(std::size_t n) {
    Bytes key(n);
    for (std::size_t i = 0; i < n; ++i) key[i] = static_cast<std::uint8_t>(i);
    return key;
}

TEST(Blake2b, MatchesTheRfc7693Vector) {
    // RFC 7693 Appendix A: BLAKE2b-512("abc").
    EXPECT_EQ(hex_encode(blake2b(as_bytes("abc"), 64)),
              "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
              "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
}

TEST(Blake2b, RejectsOutputLengthsOutsideRange) {
    EXPECT_THROW((void)blake2b(as_bytes("x"), 15), std::invalid_argument);
    EXPECT_THROW((void)blake2b(as_bytes("x"), 65), std::invalid_argument);
    EXPECT_EQ(blake2b(as_bytes("x"), 16).size(), 16U);
}

TEST(KeyedHash, MatchesKeyedBlake2bReference) {
    // Python: hashlib.blake2b(b"hello", key=bytes(range(32)), digest_size=32)
    EXPECT_EQ(hex_encode(keyed_hash(sequential_key(32), as_bytes("hello"))),
              "bc2cf927f9ed52cc29116e6a5cfdbdf96a7250f85db66887b13652596bf40d61");
}

TEST(KeyedHash, IsDeterministicForTheSameKeyAndData) {
    const auto key = random_bytes(32);
    EXPECT_EQ(keyed_hash(key, as_bytes("docs/report.txt")),
              keyed_hash(key, as_bytes("docs/report.txt")));
    EXPECT_EQ(keyed_hash(key, as_bytes("a")).size(), k_hash_bytes);
    EXPECT_EQ(keyed_hash(key, as_bytes("a"), 64).size(), 64U);
}

TEST(KeyedHash, DependsOnKeyAndData) {
    const auto key = random_bytes(32);
    const auto other_key = random_bytes(32);
    const auto h = keyed_hash(key, as_bytes("docs/report.txt"));
    EXPECT_NE(h, keyed_hash(other_key, as_bytes("docs/report.txt")));
    EXPECT_NE(h, keyed_hash(key, as_bytes("docs/report.txT")));
    EXPECT_NE(h, blake2b(as_bytes("docs/report.txt")));
}

TEST(KeyedHash, RejectsKeysOutsideSixteenToSixtyFourBytes) {
    EXPECT_THROW((void)keyed_hash(Bytes{}, as_bytes("x")), std::invalid_argument);
    EXPECT_THROW((void)keyed_hash(random_bytes(15), as_bytes("x")), std::invalid_argument);
    EXPECT_THROW((void)keyed_hash(random_bytes(65), as_bytes("x")), std::invalid_argument);
    EXPECT_THROW((void)keyed_hash(random_bytes(32), as_bytes("x"), 8), std::invalid_argument);
    EXPECT_NO_THROW((void)keyed_hash(random_bytes(16), as_bytes("x")));
    EXPECT_NO_THROW((void)keyed_hash(random_bytes(64), as_bytes("x")));
}

TEST(HmacSha256, MatchesRfc4231TestCase1) {
    EXPECT_EQ(hex_encode(hmac_sha256(Bytes(20, 0x0b), as_bytes("Hi There"))),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256, MatchesRfc4231TestCase2ShortKey) {
    EXPECT_EQ(hex_encode(hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256, MatchesRfc4231TestCase6KeyLongerThanABlock) {
    EXPECT_EQ(hex_encode(hmac_sha256(Bytes(131, 0xaa),
                                     as_bytes("Test Using Larger Than Block-Size Key - Hash Key First"))),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, DependsOnTheKey) {
    const auto data = as_bytes("header.payload");
    EXPECT_NE(hmac_sha256(as_bytes("secret-a"), data), hmac_sha256(as_bytes("secret-b"), data));
}

TEST(Equal, ComparesContentsAndLengths) {
    const auto a = from_hex("00112233");
    EXPECT_TRUE(equal(a, from_hex("00112233")));
    EXPECT_FALSE(equal(a, from_hex("00112234")));
    EXPECT_FALSE(equal(a, from_hex("80112233")));
    EXPECT_FALSE(equal(a, from_hex("001122")));
    EXPECT_FALSE(equal(a, Bytes{}));
    EXPECT_TRUE(equal(Bytes{}, Bytes{}));
}

TEST(RandomBytes, ReturnsTheRequestedLengthAndDiffersEachCall) {
    EXPECT_TRUE(random_bytes(0).empty());
    std::set<Bytes> seen;
    for (int i = 0; i < 16; ++i) {
        const auto r = random_bytes(16);
        EXPECT_EQ(r.size(), 16U);
        seen.insert(r);
    }
    EXPECT_EQ(seen.size(), 16U);
}

}  // namespace
}  // namespace edgesync::crypto
