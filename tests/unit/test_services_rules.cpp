// Pure rules of shared/services: input validation, error mapping and the
// es:revocations wire format. The services themselves are tested against the
// real Postgres and Redis in tests/integration/test_services_*.cpp.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shared/services/revocation.hpp"
#include "shared/services/service_error.hpp"
#include "shared/services/validation.hpp"

namespace edgesync {
namespace {

TEST(EmailRule, TrimsSurroundingSpaceAndKeepsLetterCase) {
    const auto e = normalize_email("  \tAlice.Smith@Example.COM \n");
    ASSERT_TRUE(e.has_value()) << e.error().message;
    EXPECT_EQ(*e, "Alice.Smith@Example.COM");
}

TEST(EmailRule, AcceptsShortestAndInternationalAddresses) {
    EXPECT_TRUE(normalize_email("a@b").has_value());
    EXPECT_TRUE(normalize_email("jos\xC3\xA9@\xC3\xA9xample.fr").has_value());
}

TEST(EmailRule, RejectsMalformedAddressesAsInvalidEmail) {
    const std::vector<std::string> bads = {"",
                                           "   ",
                                           "ab",
                                           "alice",
                                           "alice@",
                                           "@example.com",
                                           "a@b@c",
                                           "al ice@example.com",
                                           "alice@exa\tmple.com",
                                           std::string("alice@ex\0ample.com", 18),
                                           "alice@ex\x7F"
                                           "ample.com",
                                           "alice\xC2\xA0@example.com",
                                           "alice@\xC3\x28.com",
                                           "alice\xC2\x85@example.com"};
    for (const std::string& bad : bads) {
        const auto e = normalize_email(bad);
        ASSERT_FALSE(e.has_value()) << "accepted: " << bad;
        EXPECT_EQ(e.error().code, ServiceErrorCode::invalid_email);
        EXPECT_FALSE(e.error().message.empty());
    }
}

TEST(EmailRule, LengthIsCountedInCharactersUpTo320) {
    const std::string domain = "@example.com";  // 12 characters
    EXPECT_TRUE(normalize_email(std::string(320 - domain.size(), 'a') + domain).has_value());
    EXPECT_FALSE(normalize_email(std::string(321 - domain.size(), 'a') + domain).has_value());
    // 300 two-byte characters: 600 bytes but 312 characters, so accepted.
    std::string wide;
    for (int i = 0; i < 300; ++i) wide += "\xC3\xA9";
    EXPECT_TRUE(normalize_email(wide + domain).has_value());
}

TEST(DeviceNameRule, AcceptsOneTo255CharactersAsGiven) {
    EXPECT_TRUE(validate_device_name("x").has_value());
    EXPECT_TRUE(validate_device_name(" laptop (work) ").has_value());
    EXPECT_TRUE(validate_device_name(std::string(255, 'n')).has_value());
    std::string wide;
    for (int i = 0; i < 255; ++i) wide += "\xE2\x82\xAC";  // 255 euro signs, 765 bytes
    EXPECT_TRUE(validate_device_name(wide).has_value());
}

TEST(DeviceNameRule, RejectsEmptyTooLongBlankControlAndBadUtf8) {
    const std::vector<std::string> bads = {
        std::string(), std::string(256, 'n'), "   ",        "lap\ntop",
        "lap\x1Btop",  "lap\xC2\x9Btop",      "lap\xFFtop", "\xED\xA0\x80" /* surrogate */,
        "\xC0\xAF" /* overlong */};
    for (const std::string& bad : bads) {
        const auto r = validate_device_name(bad);
        ASSERT_FALSE(r.has_value()) << "accepted: " << bad;
        EXPECT_EQ(r.error().code, ServiceErrorCode::invalid_argument);
    }
}

TEST(Utf8Length, CountsCodePointsAndFlagsInvalidText) {
    EXPECT_EQ(utf8_length(""), 0U);
    EXPECT_EQ(utf8_length("abc"), 3U);
    EXPECT_EQ(utf8_length("\xF0\x9F\x98\x80x"), 2U);
    EXPECT_EQ(utf8_length("\xF0\x9F\x98"), SIZE_MAX);      // truncated
    EXPECT_EQ(utf8_length("\xF4\x90\x80\x80"), SIZE_MAX);  // above U+10FFFF
}

TEST(ServiceErrorMapping, CodesAreStableSnakeCaseNames) {
    EXPECT_EQ(to_string(ServiceErrorCode::invalid_email), "invalid_email");
    EXPECT_EQ(to_string(ServiceErrorCode::weak_password), "weak_password");
    EXPECT_EQ(to_string(ServiceErrorCode::email_taken), "email_taken");
    EXPECT_EQ(to_string(ServiceErrorCode::not_found), "not_found");
    EXPECT_EQ(to_string(ServiceErrorCode::ambiguous), "ambiguous");
    EXPECT_EQ(to_string(ServiceErrorCode::invalid_argument), "invalid_argument");
    EXPECT_EQ(to_string(ServiceErrorCode::revoked), "revoked");
    EXPECT_EQ(to_string(ServiceErrorCode::account_disabled), "account_disabled");
    EXPECT_EQ(to_string(ServiceErrorCode::conflict), "conflict");
}

TEST(ServiceErrorMapping, ExitCodesFollowTheCliContract) {
    EXPECT_EQ(to_exit_code(ServiceErrorCode::invalid_email), ExitCode::usage);
    EXPECT_EQ(to_exit_code(ServiceErrorCode::weak_password), ExitCode::usage);
    EXPECT_EQ(to_exit_code(ServiceErrorCode::invalid_argument), ExitCode::usage);
    EXPECT_EQ(to_exit_code(ServiceErrorCode::ambiguous), ExitCode::usage);
    EXPECT_EQ(to_exit_code(ServiceErrorCode::not_found), ExitCode::not_found);
    EXPECT_EQ(to_exit_code(ServiceErrorCode::email_taken), ExitCode::conflict);
    EXPECT_EQ(to_exit_code(ServiceErrorCode::revoked), ExitCode::conflict);
    EXPECT_EQ(to_exit_code(ServiceErrorCode::account_disabled), ExitCode::conflict);
    EXPECT_EQ(to_exit_code(ServiceErrorCode::conflict), ExitCode::conflict);
}

TEST(ServiceErrorMapping, HttpStatusesMatchTheApi) {
    EXPECT_EQ(to_http_status(ServiceErrorCode::invalid_email), 400);
    EXPECT_EQ(to_http_status(ServiceErrorCode::ambiguous), 400);
    EXPECT_EQ(to_http_status(ServiceErrorCode::not_found), 404);
    EXPECT_EQ(to_http_status(ServiceErrorCode::email_taken), 409);
    EXPECT_EQ(to_http_status(ServiceErrorCode::conflict), 409);
    EXPECT_EQ(to_http_status(ServiceErrorCode::revoked), 403);
    EXPECT_EQ(to_http_status(ServiceErrorCode::account_disabled), 403);
}

TEST(RevocationMessage, HasTheDocumentedShapes) {
    EXPECT_EQ(revocation_message(RevocationNotice::for_account("a1")), R"({"account":"a1"})");
    EXPECT_EQ(revocation_message(RevocationNotice::for_device("a1", "d1")),
              R"({"account":"a1","device":"d1"})");
    EXPECT_EQ(revocation_message(RevocationNotice::for_session("a1", "s1")),
              R"({"account":"a1","session":"s1"})");
}

TEST(RevocationMessage, ParseReadsBackWhatWasBuilt) {
    for (const auto& n :
         {RevocationNotice::for_account("a1"), RevocationNotice::for_device("a1", "d1"),
          RevocationNotice::for_session("a1", "s1")}) {
        const auto parsed = parse_revocation(revocation_message(n));
        ASSERT_TRUE(parsed.has_value());
        EXPECT_EQ(*parsed, n);
    }
}

TEST(RevocationMessage, ParseIgnoresUnknownMembers) {
    const auto parsed = parse_revocation(R"({"device":"d1","account":"a1","reason":"x"})");
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, RevocationNotice::for_device("a1", "d1"));
}

TEST(RevocationMessage, ParseRejectsGarbageWithoutThrowing) {
    for (const char* bad :
         {"", "{", "null", "[]", "42", R"("account")", "{}", R"({"account":""})",
          R"({"account":7})", R"({"device":"d1"})", R"({"session":"s1"})",
          R"({"account":"a1","device":""})", R"({"account":"a1","session":null})",
          R"({"account":"a1","device":"d1","session":"s1"})", "\xFF\xFE{}", R"({"account":"a1")"}) {
        EXPECT_FALSE(parse_revocation(bad).has_value()) << bad;
    }
}

}  // namespace
}  // namespace edgesync
