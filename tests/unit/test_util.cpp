#include <gtest/gtest.h>

#include "shared/util/bytes.hpp"
#include "shared/util/time.hpp"
#include "shared/util/uuid.hpp"

namespace edgesync {
namespace {

TEST(Uuid, NewUuidIsCanonicalVersion4AndUnique) {
    const auto a = new_uuid();
    const auto b = new_uuid();
    EXPECT_TRUE(is_uuid(a));
    EXPECT_NE(a, b);
    EXPECT_EQ(a[14], '4');
}

TEST(Uuid, RejectsMalformedText) {
    EXPECT_FALSE(is_uuid(""));
    EXPECT_FALSE(is_uuid("not-a-uuid"));
    EXPECT_FALSE(is_uuid("123e4567-e89b-12d3-a456-42661417400"));    // one short
    EXPECT_FALSE(is_uuid("123e4567-e89b-12d3-a456-42661417400g"));   // non-hex
    EXPECT_FALSE(is_uuid("123e4567e89b-12d3-a456-4266141740000"));   // dash misplaced
    EXPECT_TRUE(is_uuid("123E4567-E89B-12D3-A456-426614174000"));
}

TEST(Base64, RoundTripsBinaryInBothVariants) {
    Bytes data{0x00, 0xFF, 0xFB, 0x10, 0x3E, 0x3F};
    Bytes out;
    ASSERT_TRUE(base64_decode(base64_encode(data), out));
    EXPECT_EQ(out, data);
    const auto url = base64url_encode(data);
    EXPECT_EQ(url.find_first_of("+/="), std::string::npos);
    ASSERT_TRUE(base64url_decode(url, out));
    EXPECT_EQ(out, data);
}

TEST(Base64, RejectsGarbage) {
    Bytes out;
    EXPECT_FALSE(base64_decode("@@@", out));
    EXPECT_FALSE(base64url_decode("ab+/", out));
}

TEST(Time, FormatsAndParsesRfc3339) {
    const auto t = parse_timestamp("2026-11-25T09:24:39.123456Z");
    ASSERT_TRUE(t);
    EXPECT_EQ(format_rfc3339(*t), "2026-11-25T09:24:39.123456Z");
}

TEST(Time, ParsesPostgresTimestamptzOutputWithOffset) {
    const auto t = parse_timestamp("2026-11-25 10:24:39.5+01");
    ASSERT_TRUE(t);
    EXPECT_EQ(format_rfc3339(*t), "2026-11-25T09:24:39.500000Z");
    const auto t2 = parse_timestamp("2026-11-25 09:24:39+00");
    ASSERT_TRUE(t2);
    EXPECT_EQ(format_rfc3339(*t2), "2026-11-25T09:24:39.000000Z");
}

TEST(Time, RejectsMalformedTimestamps) {
    EXPECT_FALSE(parse_timestamp(""));
    EXPECT_FALSE(parse_timestamp("2026-13-01T00:00:00Z"));
    EXPECT_FALSE(parse_timestamp("2026-11-25T09:24:39"));  // no zone
    EXPECT_FALSE(parse_timestamp("2026-11-25T09:24:39Zjunk"));
}

}  // namespace
}  // namespace edgesync
