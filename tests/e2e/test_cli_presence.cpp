// `edgesync presence list`: every device of the account, joined with its
// presence in Redis; devices without a heartbeat are offline.
#include <nlohmann/json.hpp>

#include "tests/e2e/cli_data_fixture.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

class CliPresence : public CliAdminTest {
  protected:
    void SetUp() override {
        m_account = make_account();
        m_laptop = make_device(m_account.id, "laptop");
        m_phone = make_device(m_account.id, "phone", DeviceType::mobile);
        m_nas = make_device(m_account.id, "nas box", DeviceType::server);
        m_old = make_device(m_account.id, "old tablet", DeviceType::mobile);
        ASSERT_TRUE(m_devices.revoke(m_account.id, m_old.id).has_value());
        m_seen = from_unix(to_unix(now()) - 3600);
        m_devices.touch_last_seen(m_account.id, m_nas.id, m_seen);
        m_beat = now();
        m_presence.set(m_account.id, {m_laptop.id, "online", m_beat, "server-a"});
        m_presence.set(m_account.id, {m_phone.id, "away", m_beat, "server-b"});
    }
    void TearDown() override {
        for (const auto* d : {&m_laptop, &m_phone}) m_presence.remove(m_account.id, d->id);
    }

    Account m_account;
    Device m_laptop, m_phone, m_nas, m_old;
    Timestamp m_seen{}, m_beat{};
};

TEST_F(CliPresence, ListsEveryDeviceWithItsStatusAsAnAlignedTable) {
    const auto r = run_ok({"presence", "list", "--account", m_account.email});
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 5U) << r.out;
    EXPECT_TRUE(
        std::regex_match(lines[0], std::regex("DEVICE +NAME +TYPE +STATUS +LAST SEEN +SERVER")))
        << lines[0];
    const auto line_of = [&](const Device& d) {
        for (const auto& l : lines)
            if (l.starts_with(d.id)) return l;
        return std::string("(no line for " + d.name + ")");
    };
    EXPECT_TRUE(std::regex_match(
        line_of(m_laptop),
        std::regex(m_laptop.id + " +laptop +desktop +online +" + k_time_re + " +server-a")))
        << r.out;
    EXPECT_TRUE(std::regex_match(
        line_of(m_phone),
        std::regex(m_phone.id + " +phone +mobile +away +" + k_time_re + " +server-b")))
        << r.out;
    EXPECT_TRUE(std::regex_match(line_of(m_nas),
                                 std::regex(m_nas.id + " +nas box +server +offline +" + k_time_re)))
        << r.out;
    EXPECT_TRUE(std::regex_match(line_of(m_old),
                                 std::regex(m_old.id + " +old tablet +mobile +revoked +never")))
        << r.out;
    expect_aligned(lines);
}

TEST_F(CliPresence, JsonHasAStableShape) {
    const auto doc =
        json::parse(run_ok({"--json", "presence", "list", "--account", m_account.id}).out);
    EXPECT_EQ(doc["account"]["email"], m_account.email);
    ASSERT_EQ(doc["devices"].size(), 4U);
    std::map<std::string, json> by_id;
    for (const auto& d : doc["devices"]) by_id[d["device_id"]] = d;
    EXPECT_EQ(by_id[m_laptop.id], (json{{"device_id", m_laptop.id},
                                        {"name", "laptop"},
                                        {"type", "desktop"},
                                        {"status", "online"},
                                        {"online", true},
                                        {"last_seen", format_rfc3339(m_beat)},
                                        {"server", "server-a"},
                                        {"revoked", false}}));
    EXPECT_EQ(by_id[m_phone.id]["status"], "away");
    EXPECT_EQ(by_id[m_phone.id]["online"], true);
    EXPECT_EQ(by_id[m_nas.id], (json{{"device_id", m_nas.id},
                                     {"name", "nas box"},
                                     {"type", "server"},
                                     {"status", "offline"},
                                     {"online", false},
                                     {"last_seen", format_rfc3339(m_seen)},
                                     {"server", nullptr},
                                     {"revoked", false}}));
    EXPECT_EQ(by_id[m_old.id]["status"], "revoked");
    EXPECT_EQ(by_id[m_old.id]["revoked"], true);
    EXPECT_EQ(by_id[m_old.id]["last_seen"], nullptr);
}

TEST_F(CliPresence, AnAccountWithoutDevicesSaysSo) {
    const auto lonely = make_account();
    EXPECT_EQ(run_ok({"presence", "list", "--account", lonely.email}).out,
              "account " + lonely.email + " has no devices\n");
    EXPECT_EQ(
        json::parse(run_ok({"--json", "presence", "list", "--account", lonely.id}).out)["devices"],
        json::array());
}

TEST_F(CliPresence, StatusIsColouredOnlyWhenAllowed) {
    ProcessOptions force;
    force.env["CLICOLOR_FORCE"] = "1";
    const auto coloured = run_ok({"presence", "list", "--account", m_account.id}, force);
    EXPECT_TRUE(contains(coloured.out, "\x1b[32monline\x1b[0m")) << coloured.out;
    // Colour codes take no columns: the table lines up as the terminal shows it.
    expect_aligned(lines_of(std::regex_replace(coloured.out, std::regex("\x1b\\[[0-9;]*m"), "")));

    force.env["NO_COLOR"] = "1";
    EXPECT_FALSE(
        contains(run_ok({"presence", "list", "--account", m_account.id}, force).out, "\x1b"));
    force.env.erase("NO_COLOR");
    EXPECT_FALSE(contains(
        run_ok({"--json", "presence", "list", "--account", m_account.id}, force).out, "\x1b"));
    // Not a terminal and not forced: plain.
    EXPECT_FALSE(contains(run_ok({"presence", "list", "--account", m_account.id}).out, "\x1b"));
}

TEST_F(CliPresence, ErrorsHaveTheirExitCodes) {
    EXPECT_EQ(run({"presence", "list", "--account", "nobody@example.org"}).exit_code, 3);
    EXPECT_EQ(run({"presence", "list", "--account", "12345678-1234-1234-1234-12345678"}).exit_code,
              2);
    ProcessOptions no_redis;
    no_redis.env["REDIS_URL"] = "redis://127.0.0.1:1/0";
    no_redis.timeout = std::chrono::seconds(30);
    const auto r = run({"--timeout", "2", "presence", "list", "--account", m_account.id}, no_redis);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 5) << describe(r);
    EXPECT_TRUE(r.err.starts_with("edgesync: error: cannot connect to Redis")) << r.err;
    ProcessOptions bad_url;
    bad_url.env["REDIS_URL"] = "http://example.org";
    EXPECT_EQ(run({"presence", "list", "--account", m_account.id}, bad_url).exit_code, 2);
}

}  // namespace
}  // namespace edgesync::test
