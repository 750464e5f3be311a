#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "tests/integration/services_fixture.hpp"

namespace edgesync::test {
namespace {

class DeviceServiceTest : public ServicesFixture {};

TEST_F(DeviceServiceTest, ResolveFindsADeviceByIdOrByExactName) {
    const auto a = make_account();
    const auto d = make_device(a.id, "Kitchen Pi");
    (void)make_device(a.id, "laptop");
    for (const auto& ref : {d.id, to_lower_ascii(d.id), std::string("Kitchen Pi")}) {
        const auto r = m_devices.resolve(a.id, ref);
        ASSERT_TRUE(r.has_value()) << ref << ": " << r.error().message;
        EXPECT_EQ(r->id, d.id);
    }
    std::string upper_id = d.id;
    std::transform(upper_id.begin(), upper_id.end(), upper_id.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    EXPECT_EQ(m_devices.resolve(a.id, upper_id)->id, d.id);
}

TEST_F(DeviceServiceTest, ResolveOfUnknownRefOrOtherAccountsDeviceIsNotFound) {
    const auto a = make_account();
    const auto b = make_account();
    const auto theirs = make_device(b.id, "theirs");
    for (const auto& ref :
         {new_uuid(), std::string("kitchen pi"), theirs.id, std::string("theirs")}) {
        const auto r = m_devices.resolve(a.id, ref);
        ASSERT_FALSE(r.has_value()) << ref;
        EXPECT_EQ(r.error().code, ServiceErrorCode::not_found) << ref;
    }
}

TEST_F(DeviceServiceTest, ResolveOfASharedNameIsAmbiguousAndListsEveryCandidate) {
    const auto a = make_account();
    const auto d1 = make_device(a.id, "phone");
    const auto d2 = make_device(a.id, "phone");
    ASSERT_TRUE(m_device_repo.revoke(a.id, d2.id).has_value());
    (void)make_device(a.id, "tablet");

    const auto r = m_devices.resolve(a.id, "phone");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ServiceErrorCode::ambiguous);
    EXPECT_EQ(to_exit_code(r.error().code), ExitCode::usage);
    auto candidates = r.error().candidates;
    std::sort(candidates.begin(), candidates.end());
    auto expected = std::vector<std::string>{d1.id + "  phone", d2.id + "  phone  [revoked]"};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(candidates, expected);
    EXPECT_EQ(m_devices.resolve(a.id, d1.id)->id, d1.id);  // the way out: name it by id
}

TEST_F(DeviceServiceTest, RenameValidatesTheNameAndStoresIt) {
    const auto a = make_account();
    const auto d = make_device(a.id, "old");
    const auto r = m_devices.rename(a.id, d.id, "new name");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->name, "new name");
    EXPECT_EQ(m_device_repo.find(a.id, d.id)->name, "new name");

    for (const std::string& bad : {std::string(), std::string(256, 'x'), std::string("a\nb")}) {
        const auto e = m_devices.rename(a.id, d.id, bad);
        ASSERT_FALSE(e.has_value());
        EXPECT_EQ(e.error().code, ServiceErrorCode::invalid_argument);
    }
    EXPECT_EQ(m_device_repo.find(a.id, d.id)->name, "new name");
    EXPECT_EQ(m_devices.rename(a.id, new_uuid(), "x").error().code, ServiceErrorCode::not_found);
}

TEST_F(DeviceServiceTest, RevokeEndsOnlyThatDevicesSessionsAndPublishesTheDevice) {
    const auto a = make_account();
    const auto target = make_device(a.id, "target");
    const auto other = make_device(a.id, "other");
    const auto t1 = make_session(a.id, target.id);
    const auto t2 = make_session(a.id, target.id);
    const auto o1 = make_session(a.id, other.id);

    const auto r = m_devices.revoke(a.id, target.id);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_FALSE(r->already_revoked);
    EXPECT_EQ(r->sessions_ended, 2U);
    EXPECT_TRUE(r->device.revoked());
    EXPECT_TRUE(m_device_repo.find(a.id, target.id)->revoked());
    EXPECT_FALSE(session_exists(t1));
    EXPECT_FALSE(session_exists(t2));
    EXPECT_TRUE(session_exists(o1));
    EXPECT_FALSE(m_device_repo.find(a.id, other.id)->revoked());
    EXPECT_EQ(m_revocations.drain(a.id),
              std::vector{RevocationNotice::for_device(a.id, target.id)});
}

TEST_F(DeviceServiceTest, RevokingARevokedDeviceSucceedsAndStillPurgesStaleSessions) {
    const auto a = make_account();
    const auto d = make_device(a.id);
    ASSERT_TRUE(m_devices.revoke(a.id, d.id).has_value());
    const auto first_revoked_at = m_device_repo.find(a.id, d.id)->revoked_at;
    // A session the first revoke did not see (e.g. it was cut short before Redis).
    const auto stale = make_session(a.id, d.id);

    const auto r = m_devices.revoke(a.id, d.id);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_TRUE(r->already_revoked);
    EXPECT_EQ(r->sessions_ended, 1U);
    EXPECT_EQ(r->device.revoked_at, first_revoked_at);
    EXPECT_FALSE(session_exists(stale));
    EXPECT_EQ(m_revocations.drain(a.id), (std::vector{RevocationNotice::for_device(a.id, d.id),
                                                      RevocationNotice::for_device(a.id, d.id)}));
}

TEST_F(DeviceServiceTest, RevokeOfUnknownDeviceIsNotFoundAndPublishesNothing) {
    const auto a = make_account();
    const auto b = make_account();
    const auto theirs = make_device(b.id);
    const auto s = make_session(b.id, theirs.id);
    EXPECT_EQ(m_devices.revoke(a.id, new_uuid()).error().code, ServiceErrorCode::not_found);
    EXPECT_EQ(m_devices.revoke(a.id, theirs.id).error().code, ServiceErrorCode::not_found);
    EXPECT_FALSE(m_device_repo.find(b.id, theirs.id)->revoked());
    EXPECT_TRUE(session_exists(s));
    EXPECT_TRUE(m_revocations.drain(a.id).empty());
    EXPECT_TRUE(m_revocations.drain(b.id).empty());
}

TEST_F(DeviceServiceTest, RevokeAllRevokesEveryDeviceAndEndsTheirSessions) {
    const auto a = make_account();
    const auto d1 = make_device(a.id, "one");
    const auto d2 = make_device(a.id, "two");
    const auto d3 = make_device(a.id, "three");
    ASSERT_TRUE(m_device_repo.revoke(a.id, d3.id).has_value());  // revoked before, session left
    const auto s1 = make_session(a.id, d1.id);
    const auto s2 = make_session(a.id, d2.id);
    const auto s3 = make_session(a.id, d3.id);
    const auto b = make_account();
    const auto elsewhere = make_session(b.id, make_device(b.id).id);

    const auto r = m_devices.revoke_all(a.id);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->devices_revoked, 2U);
    EXPECT_EQ(r->sessions_ended, 3U);
    for (const auto& d : {d1, d2, d3}) EXPECT_TRUE(m_device_repo.find(a.id, d.id)->revoked());
    for (const auto& s : {s1, s2, s3}) EXPECT_FALSE(session_exists(s));
    EXPECT_TRUE(session_exists(elsewhere));

    auto notices = m_revocations.drain(a.id);
    std::vector<std::string> devices;
    for (const auto& n : notices) {
        EXPECT_EQ(n.scope, RevocationNotice::Scope::device);
        devices.push_back(n.device_id);
    }
    std::sort(devices.begin(), devices.end());
    auto expected = std::vector{d1.id, d2.id, d3.id};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(devices, expected);

    const auto again = m_devices.revoke_all(a.id);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->devices_revoked, 0U);
    EXPECT_EQ(again->sessions_ended, 0U);
    EXPECT_TRUE(m_revocations.drain(a.id).empty());
}

TEST_F(DeviceServiceTest, RevokeAllOfMissingAccountIsNotFound) {
    EXPECT_EQ(m_devices.revoke_all(new_uuid()).error().code, ServiceErrorCode::not_found);
}

}  // namespace
}  // namespace edgesync::test
