// `edgesync device ...`: the built binary against a private database and the
// test Redis; revocations checked in Redis and on es:revocations.
#include <gtest/gtest.h>

#include "tests/e2e/cli_admin_fixture.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

class CliDevice : public CliAdmin {};

TEST_F(CliDevice, ListShowsEveryDeviceOfTheAccountAsATableOrJson) {
    const auto a = make_account();
    const auto laptop = make_device(a.id, "laptop");
    const auto phone = make_device(a.id, "phone");
    (void)make_device(make_account().id, "theirs");
    ASSERT_TRUE(m_devices.revoke(a.id, phone.id).has_value());

    const auto r = run_ok({"device", "list", "--account", a.email});
    ASSERT_EQ(line_count(r.out), 3U) << r.out;
    EXPECT_TRUE(r.out.starts_with("ID ")) << r.out;
    EXPECT_TRUE(contains(r.out, "NAME    TYPE   CREATED")) << r.out;
    EXPECT_TRUE(contains(r.out, laptop.id + "  laptop  agent  ")) << r.out;
    EXPECT_TRUE(contains(r.out, "never      active\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "never      revoked\n")) << r.out;
    EXPECT_FALSE(contains(r.out, "theirs"));

    const auto j = run_json({"device", "list", "--account", a.id});
    EXPECT_EQ(j["account"], (json{{"id", a.id}, {"email", a.email}}));
    ASSERT_EQ(j["devices"].size(), 2U);
    const auto& d = j["devices"][0];
    EXPECT_EQ(d["id"], laptop.id);
    EXPECT_EQ(d["account_id"], a.id);
    EXPECT_EQ(d["name"], "laptop");
    EXPECT_EQ(d["type"], "agent");
    EXPECT_EQ(d["status"], "active");
    EXPECT_TRUE(d["revoked_at"].is_null());
    EXPECT_TRUE(d["last_seen_at"].is_null());
    EXPECT_TRUE(d["public_key"].is_string());
    EXPECT_EQ(j["devices"][1]["status"], "revoked");
    EXPECT_TRUE(j["devices"][1]["revoked_at"].is_string());

    EXPECT_EQ(run_ok({"device", "list", "--account", make_account().id}).out.substr(0, 10),
              "no devices");
}

TEST_F(CliDevice, ShowFindsADeviceByIdOrNameAndCountsItsSessions) {
    const auto a = make_account();
    const auto laptop = make_device(a.id, "laptop");
    (void)make_session(a.id, laptop.id);
    (void)make_session(a.id, laptop.id);
    (void)make_session(a.id, make_device(a.id, "phone").id);
    const auto r = run_ok({"device", "show", "laptop", "--account", a.email});
    EXPECT_TRUE(contains(r.out, "Device:       " + laptop.id + "\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "Sessions:     2 live\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "Status:       active\n")) << r.out;
    const auto j = run_json({"device", "show", laptop.id, "--account", a.email});
    EXPECT_EQ(j["device"]["name"], "laptop");
    EXPECT_EQ(j["sessions"], 2);
}

TEST_F(CliDevice, AnAmbiguousNameExitsTwoAndListsTheCandidates) {
    const auto a = make_account();
    const auto first = make_device(a.id, "laptop");
    const auto second = make_device(a.id, "laptop");
    const auto r = run_fails({"device", "show", "laptop", "--account", a.email}, 2);
    EXPECT_TRUE(contains(r.err, "2 devices are named 'laptop'")) << r.err;
    EXPECT_TRUE(contains(r.err, first.id)) << r.err;
    EXPECT_TRUE(contains(r.err, second.id)) << r.err;
    EXPECT_EQ(line_count(r.err), 1U) << r.err;
    // Nothing is revoked on an ambiguous name.
    run_fails({"device", "revoke", "laptop", "--account", a.email, "--yes"}, 2);
    for (const auto& d : devices_now(a)) EXPECT_FALSE(d.revoked());
    EXPECT_EQ(run_json({"device", "show", second.id, "--account", a.email})["device"]["id"],
              second.id);
}

TEST_F(CliDevice, UnknownDevicesAndAccountsExitThreeAndMissingAccountExitsTwo) {
    const auto a = make_account();
    const auto theirs = make_device(make_account().id, "theirs");
    run_fails({"device", "show", "nope", "--account", a.email}, 3);
    run_fails({"device", "show", theirs.id, "--account", a.email}, 3);  // another account's
    run_fails({"device", "show", "1234-zz", "--account", a.email}, 3);  // a name, then
    run_fails({"device", "list", "--account", random_email()}, 3);
    run_fails({"device", "list", "--account", "not-a-uuid"}, 2);
    const auto r = run_fails({"device", "list"}, 2);
    EXPECT_TRUE(contains(r.err, "--account is required")) << r.err;
    run_fails({"device", "revoke", "--account", a.email, "--yes"}, 2);
    run_fails({"device", "revoke", "x", "--all-for-account", a.email, "--yes"}, 2);
}

TEST_F(CliDevice, RenameChangesTheNameAndRejectsBadNames) {
    const auto a = make_account();
    const auto d = make_device(a.id, "old name");
    const auto r = run_ok({"device", "rename", "old name", "new name", "--account", a.email});
    EXPECT_EQ(r.out, "renamed device " + d.id + " from 'old name' to 'new name'\n");
    const auto j = run_json({"device", "rename", d.id, "newer", "--account", a.id});
    EXPECT_EQ(j["previous_name"], "new name");
    EXPECT_EQ(j["device"]["name"], "newer");
    EXPECT_EQ(devices_now(a).at(0).name, "newer");
    run_fails({"device", "rename", d.id, "   ", "--account", a.id}, 2);
    run_fails({"device", "rename", d.id, "tab\there", "--account", a.id}, 2);
}

TEST_F(CliDevice, RevokeEndsTheDevicesSessionsAndPublishesOnRevocations) {
    const auto a = make_account();
    const auto laptop = make_device(a.id, "laptop");
    const auto phone = make_device(a.id, "phone");
    const auto s1 = make_session(a.id, laptop.id);
    const auto s2 = make_session(a.id, laptop.id);
    const auto kept = make_session(a.id, phone.id);

    const auto r = run_ok({"device", "revoke", "laptop", "--account", a.email, "--yes"});
    EXPECT_EQ(r.out, "revoked device 'laptop' (" + laptop.id + "); ended 2 session(s)\n");
    EXPECT_FALSE(session_exists(s1));
    EXPECT_FALSE(session_exists(s2));
    EXPECT_TRUE(session_exists(kept));
    const auto index = RedisClient(redis_endpoint())
                           .command({"SMEMBERS", redis_keys::device_sessions_key(a.id, laptop.id)})
                           .as_string_array();
    EXPECT_TRUE(index.empty());
    EXPECT_EQ(m_revocations.drain(a.id),
              std::vector{RevocationNotice::for_device(a.id, laptop.id)});
    EXPECT_TRUE(devices_now(a).at(0).revoked());
    EXPECT_FALSE(devices_now(a).at(1).revoked());

    const auto j = run_json({"device", "revoke", laptop.id, "--account", a.id, "--yes"});
    EXPECT_EQ(j["already_revoked"], true);
    EXPECT_EQ(j["sessions_ended"], 0);
    EXPECT_EQ(j["device"]["status"], "revoked");
}

TEST_F(CliDevice, RevokeAllForAccountRevokesEveryDevice) {
    const auto a = make_account();
    const auto d1 = make_device(a.id, "one");
    const auto d2 = make_device(a.id, "two");
    const auto s1 = make_session(a.id, d1.id);
    const auto s2 = make_session(a.id, d2.id);
    const auto other = make_account();
    const auto theirs = make_session(other.id, make_device(other.id).id);

    const auto j = run_json({"device", "revoke", "--all-for-account", a.email, "--yes"});
    EXPECT_EQ(j["account"]["id"], a.id);
    EXPECT_EQ(j["devices_revoked"], 2);
    EXPECT_EQ(j["sessions_ended"], 2);
    for (const auto& d : devices_now(a)) EXPECT_TRUE(d.revoked());
    EXPECT_FALSE(session_exists(s1));
    EXPECT_FALSE(session_exists(s2));
    EXPECT_TRUE(session_exists(theirs));
    EXPECT_EQ(m_revocations.drain(a.id).size(), 2U);
    EXPECT_EQ(run_ok({"device", "revoke", "--all-for-account", a.id, "--yes"}).out,
              "revoked 0 device(s) of " + a.email + "; ended 0 session(s)\n");
}

TEST_F(CliDevice, RevokeAsksOnATerminalAndOnlyYesRevokes) {
    const auto a = make_account();
    const auto d = make_device(a.id, "laptop");
    const auto s = make_session(a.id, d.id);
    const auto declined =
        run_fails({"device", "revoke", "laptop", "--account", a.email}, 1, terminal("n\n"));
    EXPECT_TRUE(contains(declined.err, "revoke device 'laptop' (" + d.id + ") of " + a.email +
                                           " and end its sessions? [y/N]"))
        << declined.err;
    EXPECT_FALSE(devices_now(a).at(0).revoked());
    EXPECT_TRUE(session_exists(s));
    (void)run_ok({"device", "revoke", "laptop", "--account", a.email}, terminal("yes\n"));
    EXPECT_TRUE(devices_now(a).at(0).revoked());
    EXPECT_FALSE(session_exists(s));
}

}  // namespace
}  // namespace edgesync::test
