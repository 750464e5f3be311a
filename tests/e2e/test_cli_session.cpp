// `edgesync session ...`: the built binary against the test Redis; sessions
// seeded through RedisSessionRepository.
#include <gtest/gtest.h>

#include "tests/e2e/cli_admin_fixture.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

class CliSession : public CliAdmin {};

TEST_F(CliSession, ListShowsEachSessionWithItsDeviceAndRemainingTtl) {
    const auto a = make_account();
    const auto laptop = make_device(a.id, "laptop");
    const auto phone = make_device(a.id, "phone");
    const auto s1 = make_session(a.id, laptop.id, std::chrono::hours(2));
    const auto s2 = make_session(a.id, phone.id, std::chrono::hours(30));

    const auto r = run_ok({"session", "list", "--account", a.email});
    ASSERT_EQ(line_count(r.out), 4U) << r.out;
    EXPECT_TRUE(r.out.starts_with("ID ")) << r.out;
    EXPECT_TRUE(contains(r.out, "  DEVICE  CREATED ")) << r.out;
    EXPECT_TRUE(contains(r.out, "  EXPIRES  ")) << r.out;
    EXPECT_TRUE(contains(r.out, "  TTL  ")) << r.out;
    const auto row = [&](const std::string& sid) {
        const auto at = r.out.find(sid + "  ");
        return at == std::string::npos ? std::string()
                                       : r.out.substr(at, r.out.find('\n', at) - at);
    };
    const auto laptop_row = row(s1.id);
    EXPECT_TRUE(laptop_row.starts_with(s1.id + "  laptop  ")) << r.out;
    EXPECT_TRUE(contains(laptop_row, "  1h 59m  ")) << r.out;
    EXPECT_TRUE(laptop_row.ends_with("  192.0.2.7")) << r.out;
    const auto phone_row = row(s2.id);
    EXPECT_TRUE(phone_row.starts_with(s2.id + "  phone   ")) << r.out;
    EXPECT_TRUE(contains(phone_row, "  1d 5h  ") || contains(phone_row, "  1d 6h  ")) << r.out;
    EXPECT_TRUE(r.out.ends_with("2 live session(s)\n")) << r.out;

    const auto j = run_json({"session", "list", "--account", a.id});
    EXPECT_EQ(j["account"]["id"], a.id);
    EXPECT_TRUE(j["device"].is_null());
    ASSERT_EQ(j["sessions"].size(), 2U);
    const auto& first = j["sessions"][0];
    EXPECT_EQ(first["id"], s1.id);
    EXPECT_EQ(first["account_id"], a.id);
    EXPECT_EQ(first["device_id"], laptop.id);
    EXPECT_EQ(first["device_name"], "laptop");
    EXPECT_EQ(first["created_at"], format_rfc3339(s1.created_at));
    EXPECT_EQ(first["expires_at"], format_rfc3339(s1.expires_at));
    EXPECT_EQ(first["last_used_at"], format_rfc3339(s1.last_used_at));
    EXPECT_GT(first["ttl_seconds"].get<std::int64_t>(), 0);
    EXPECT_LE(first["ttl_seconds"].get<std::int64_t>(), 2 * 3600);
    EXPECT_EQ(first["ip"], "192.0.2.7");
    EXPECT_EQ(first["user_agent"], "edgesync-services-test");
    EXPECT_FALSE(first.contains("refresh_hash"));
    EXPECT_FALSE(contains(j.dump(), s1.refresh_hash));
}

TEST_F(CliSession, ListOfOneDeviceAndOfAnAccountWithoutSessions) {
    const auto a = make_account();
    const auto laptop = make_device(a.id, "laptop");
    const auto s = make_session(a.id, laptop.id);
    (void)make_session(a.id, make_device(a.id, "phone").id);
    const auto j = run_json({"session", "list", "--account", a.email, "--device", "laptop"});
    EXPECT_EQ(j["device"], (json{{"id", laptop.id}, {"name", "laptop"}}));
    ASSERT_EQ(j["sessions"].size(), 1U);
    EXPECT_EQ(j["sessions"][0]["id"], s.id);
    const auto other = make_account();
    EXPECT_EQ(run_ok({"session", "list", "--account", other.email}).out,
              "no live sessions for " + other.email + "\n");
    EXPECT_EQ(run_json({"session", "list", "--account", other.id})["sessions"], json::array());
}

TEST_F(CliSession, ShowPrintsOneSessionAndRejectsMalformedOrUnknownIds) {
    const auto a = make_account();
    const auto d = make_device(a.id, "laptop");
    const auto s = make_session(a.id, d.id);
    const auto r = run_ok({"session", "show", s.id, "--account", a.email});
    EXPECT_TRUE(contains(r.out, "Session:     " + s.id + "\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "Device:      laptop (" + d.id + ")\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "User agent:  edgesync-services-test\n")) << r.out;
    const auto j = run_json({"session", "show", s.id, "--account", a.id});
    EXPECT_EQ(j["session"]["id"], s.id);
    EXPECT_EQ(j["session"]["device_name"], "laptop");

    const auto malformed = run_fails({"session", "show", "not-a-sid", "--account", a.id}, 2);
    EXPECT_TRUE(contains(malformed.err, "malformed session id")) << malformed.err;
    run_fails({"session", "show", new_uuid(), "--account", a.id}, 3);
    const auto b = make_account();
    run_fails({"session", "show", s.id, "--account", b.id}, 3);  // not b's session
    run_fails({"session", "show", s.id}, 2);                     // no --account
}

TEST_F(CliSession, RevokeEndsOneSessionAndPublishesIt) {
    const auto a = make_account();
    const auto d = make_device(a.id, "laptop");
    const auto s1 = make_session(a.id, d.id);
    const auto s2 = make_session(a.id, d.id);
    const auto r = run_ok({"session", "revoke", s1.id, "--account", a.email, "--yes"});
    EXPECT_EQ(r.out, "ended session " + s1.id + " of " + a.email + "\n");
    EXPECT_FALSE(session_exists(s1));
    EXPECT_TRUE(session_exists(s2));
    EXPECT_EQ(m_revocations.drain(a.id), std::vector{RevocationNotice::for_session(a.id, s1.id)});
    const auto j = run_json({"session", "revoke", s2.id, "--account", a.id, "--yes"});
    EXPECT_EQ(j["session"]["id"], s2.id);
    EXPECT_EQ(j["sessions_ended"], 1);
    run_fails({"session", "revoke", s2.id, "--account", a.id, "--yes"}, 3);
    run_fails({"session", "revoke", "42", "--account", a.id, "--yes"}, 2);
}

TEST_F(CliSession, PurgeEndsEverySessionOfAnAccountOrADeviceAndSaysHowMany) {
    const auto a = make_account();
    const auto laptop = make_device(a.id, "laptop");
    const auto phone = make_device(a.id, "phone");
    const auto l1 = make_session(a.id, laptop.id);
    const auto l2 = make_session(a.id, laptop.id);
    const auto p1 = make_session(a.id, phone.id);
    const auto other = make_account();
    const auto theirs = make_session(other.id, make_device(other.id).id);

    const auto r = run_ok({"session", "purge", "--account", a.email, "--device", "laptop", "-y"});
    EXPECT_EQ(r.out,
              "ended 2 session(s) of device 'laptop' (" + laptop.id + ") of " + a.email + "\n");
    EXPECT_FALSE(session_exists(l1));
    EXPECT_FALSE(session_exists(l2));
    EXPECT_TRUE(session_exists(p1));
    EXPECT_EQ(m_revocations.drain(a.id),
              std::vector{RevocationNotice::for_device(a.id, laptop.id)});

    const auto j = run_json({"session", "purge", "--account", a.id, "--yes"});
    EXPECT_EQ(j["sessions_ended"], 1);
    EXPECT_EQ(j["account"]["id"], a.id);
    EXPECT_TRUE(j["device"].is_null());
    EXPECT_FALSE(session_exists(p1));
    EXPECT_TRUE(session_exists(theirs));
    EXPECT_EQ(m_revocations.drain(a.id), std::vector{RevocationNotice::for_account(a.id)});
    run_fails({"session", "purge", "--yes"}, 2);  // no --account
}

TEST_F(CliSession, RevokeAndPurgeAskOnATerminal) {
    const auto a = make_account();
    const auto d = make_device(a.id, "laptop");
    const auto s = make_session(a.id, d.id);
    const auto declined =
        run_fails({"session", "revoke", s.id, "--account", a.id}, 1, terminal("\n"));
    EXPECT_TRUE(contains(declined.err,
                         "end session " + s.id + " of " + a.email + " (device 'laptop')? [y/N]"))
        << declined.err;
    EXPECT_TRUE(session_exists(s));
    (void)run_fails({"session", "purge", "--account", a.id}, 1, terminal("no\n"));
    EXPECT_TRUE(session_exists(s));
    const auto done = run_ok({"session", "purge", "--account", a.id}, terminal("y\n"));
    EXPECT_TRUE(contains(done.out, "ended 1 session(s)")) << done.out;
    EXPECT_FALSE(session_exists(s));
}

// On its own Redis database: gc sweeps every account there.
class CliSessionGc : public CliAdmin {
  protected:
    CliSessionGc() : CliAdmin(k_cli_gc_db) {}
};

TEST_F(CliSessionGc, GcDropsIndexEntriesOfExpiredSessionsAndCountsThem) {
    auto flush = RedisClient(redis_endpoint(k_cli_gc_db));
    (void)flush.command({"FLUSHDB"});
    const auto a = make_account();
    const auto d = make_device(a.id, "laptop");
    const auto live = make_session(a.id, d.id);
    const auto doomed = make_session(a.id, d.id, std::chrono::milliseconds(50));
    ASSERT_TRUE(eventually([&] { return !session_exists(doomed); }));

    auto url = redis_url();
    url = url.substr(0, url.rfind('/')) + "/" + std::to_string(k_cli_gc_db);
    const auto r = run_ok({"--redis-url", url, "session", "gc"});
    // The account's index and the device's index each held the expired id.
    EXPECT_EQ(r.out, "scanned 2 session index set(s), removed 2 stale entries\n");
    EXPECT_TRUE(session_exists(live));
    const auto j = run_json({"--redis-url", url, "session", "gc"});
    EXPECT_EQ(j, (json{{"index_keys_scanned", 2}, {"stale_removed", 0}}));
}

}  // namespace
}  // namespace edgesync::test
