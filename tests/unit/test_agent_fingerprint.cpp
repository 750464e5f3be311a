// Fingerprints a human compares between two screens during approval: fixed
// forever (another agent version must show the same string), short, and
// different for different keys.
#include <gtest/gtest.h>

#include <regex>

#include "agent/fingerprint.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::agent {
namespace {

Bytes counting_bytes() {
    Bytes b(32);
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(i + 1);
    return b;
}

// Reference values from Python: hashlib.blake2b(data, digest_size=32, key=key)
// .hexdigest()[:20], in groups of four.
TEST(AgentFingerprint, DeviceFingerprintIsPinnedToItsReferenceValue) {
    EXPECT_EQ(device_fingerprint(counting_bytes()), "394b 6680 d1e0 7f34 c6d1");
}

TEST(AgentFingerprint, AccountKeyFingerprintIsPinnedToItsReferenceValue) {
    EXPECT_EQ(account_key_fingerprint(Bytes(32, 7)), "756d 00d5 9b25 1633 d71e");
}

TEST(AgentFingerprint, IsFiveGroupsOfFourHexDigits) {
    const std::regex shape("[0-9a-f]{4}( [0-9a-f]{4}){4}");
    EXPECT_TRUE(std::regex_match(device_fingerprint(Bytes(32, 9)), shape));
    EXPECT_TRUE(std::regex_match(account_key_fingerprint(Bytes(32, 9)), shape));
}

TEST(AgentFingerprint, DifferentKeysGiveDifferentFingerprints) {
    auto other = counting_bytes();
    other[31] ^= 1;
    EXPECT_NE(device_fingerprint(counting_bytes()), device_fingerprint(other));
    EXPECT_NE(account_key_fingerprint(counting_bytes()), account_key_fingerprint(other));
    // The same bytes as a device key and as an account key do not collide.
    EXPECT_NE(device_fingerprint(counting_bytes()), account_key_fingerprint(counting_bytes()));
}

}  // namespace
}  // namespace edgesync::agent
