// `edgesync events tail`: the event log from Postgres, and --follow, which
// must print every event written after it started exactly once, in order,
// whether the hint on Redis arrives or not, and stop cleanly on a signal.
#include <nlohmann/json.hpp>

#include <csignal>
#include <thread>

#include "tests/e2e/cli_data_fixture.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class CliEvents : public CliAdminTest {
  protected:
    void SetUp() override {
        m_account = make_account();
        m_laptop = make_device(m_account.id, "laptop");
    }

    // Writes `n` events (puts of keys k<seq>) in one transaction.
    void write_events(std::size_t n) {
        std::vector<StateWrite> batch;
        const auto first = m_events.latest_seq(m_account.id) + 1;
        for (std::size_t i = 0; i < n; ++i)
            batch.push_back({m_account.id, m_laptop.id,
                             "k" + std::to_string(first + static_cast<std::int64_t>(i)),
                             Precondition::create(), PutState{to_bytes("blob"), Bytes(24, 1)}});
        ASSERT_TRUE(m_states.write_batch(batch).has_value());
    }

    // The seq of every JSON line of `out`, in order.
    static std::vector<std::int64_t> seqs_of(const std::string& out) {
        std::vector<std::int64_t> seqs;
        for (const auto& line : lines_of(out)) seqs.push_back(json::parse(line)["seq"]);
        return seqs;
    }
    static std::vector<std::int64_t> range(std::int64_t from, std::int64_t to) {
        std::vector<std::int64_t> out;
        for (auto i = from; i <= to; ++i) out.push_back(i);
        return out;
    }

    // `edgesync --json events tail --follow --account <email> EXTRA...`, running.
    std::unique_ptr<Process> start_follow(const std::vector<std::string>& extra = {}) {
        std::vector<std::string> args{"--json",   "events",    "tail",
                                      "--follow", "--account", m_account.email};
        args.insert(args.end(), extra.begin(), extra.end());
        auto o = options(args);
        o.timeout = 120s;
        return std::make_unique<Process>(o);
    }
    static bool has_seq(const std::string& out, std::int64_t seq) {
        return contains(out, "{\"created_at\"") &&
               contains(out, "\"seq\":" + std::to_string(seq) + ",");
    }

    Account m_account;
    Device m_laptop;
};

TEST_F(CliEvents, TailPrintsTheLastTwentyByDefaultOldestFirst) {
    write_events(25);
    const auto r = run_ok({"events", "tail", "--account", m_account.email});
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 20U) << r.out;
    EXPECT_TRUE(std::regex_match(
        lines[0],
        std::regex("6  " + k_time_re + "  state\\.put     k6  size 4  version 1  device laptop")))
        << lines[0];
    EXPECT_TRUE(lines[19].starts_with("25  ")) << lines[19];
    EXPECT_EQ(r.err, "");
}

TEST_F(CliEvents, LastAndAfterChooseWhereToStart) {
    write_events(5);
    EXPECT_EQ(
        seqs_of(run_ok({"--json", "events", "tail", "--account", m_account.id, "-n", "2"}).out),
        range(4, 5));
    EXPECT_EQ(
        seqs_of(
            run_ok({"--json", "events", "tail", "--account", m_account.id, "--after", "1"}).out),
        range(2, 5));
    EXPECT_EQ(run_ok({"events", "tail", "--account", m_account.id, "--after", "5"}).out, "");
    EXPECT_EQ(run_ok({"events", "tail", "--account", m_account.id, "--last", "0"}).out, "");
    const auto both = run({"events", "tail", "--account", m_account.id, "--after", "1", "-n", "2"});
    EXPECT_EQ(both.exit_code, 2) << describe(both);
    const auto negative = run({"events", "tail", "--account", m_account.id, "--after", "-1"});
    EXPECT_EQ(negative.exit_code, 2) << describe(negative);
    EXPECT_TRUE(contains(negative.err, "--after must be")) << negative.err;
}

TEST_F(CliEvents, JsonIsOneObjectPerLineWithAStableShape) {
    (void)put(m_account.id, m_laptop.id, "doc", "hello");
    (void)remove(m_account.id, m_laptop.id, "doc");
    const auto r = run_ok({"--json", "events", "tail", "--account", m_account.id});
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 2U) << r.out;
    const auto events = m_events.list(m_account.id, 0, 10);
    ASSERT_EQ(events.size(), 2U);
    EXPECT_EQ(json::parse(lines[0]), (json{{"seq", 1},
                                           {"type", "state.put"},
                                           {"key", "doc"},
                                           {"device_id", m_laptop.id},
                                           {"created_at", format_rfc3339(events[0].created_at)},
                                           {"payload", json::parse(events[0].payload)}}));
    EXPECT_EQ(json::parse(lines[1])["type"], "state.delete");
    EXPECT_EQ(json::parse(lines[1])["payload"], json::parse(events[1].payload));
}

TEST_F(CliEvents, ALogLongerThanOnePageIsPrintedWhole) {
    write_events(700);
    write_events(700);
    const auto r = run_ok({"--json", "events", "tail", "--account", m_account.id, "--after", "0"});
    EXPECT_EQ(seqs_of(r.out), range(1, 1400));
}

TEST_F(CliEvents, FollowPrintsEveryLaterEventOnceInOrderAndStopsOnSigterm) {
    write_events(3);
    auto tail = start_follow({"--after", "0"});
    // A writer that runs while the command starts, subscribes and catches up:
    // whichever way its writes and hints interleave with that, none may be
    // missed or printed twice.
    std::thread writer([&] {
        for (int i = 0; i < 40; ++i) {
            const auto key = "live" + std::to_string(i);
            const auto w = put(m_account.id, m_laptop.id, key, "x");
            publish(m_account.id, w, key, m_laptop.id);
            if (i % 10 == 0) std::this_thread::sleep_for(50ms);
        }
    });
    writer.join();
    EXPECT_TRUE(tail->wait_for_output(
        [](const std::string& out, const std::string&) { return has_seq(out, 43); }, 60s));
    tail->send_signal(SIGTERM);
    const auto r = tail->wait();
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(seqs_of(r.out), range(1, 43));
}

TEST_F(CliEvents, FollowReadsTheLogEvenWhenNoHintArrives) {
    auto tail = start_follow({"--after", "0", "-v"});  // -v: says when it is subscribed
    ASSERT_TRUE(tail->wait_for_output(
        [](const std::string&, const std::string& err) { return contains(err, "following"); },
        60s));
    (void)put(m_account.id, m_laptop.id, "quiet", "x");  // committed, never published
    EXPECT_TRUE(tail->wait_for_output(
        [](const std::string& out, const std::string&) { return has_seq(out, 1); }, 60s));
    tail->send_signal(SIGINT);
    const auto r = tail->wait();
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(seqs_of(r.out), range(1, 1));
}

TEST_F(CliEvents, FollowStartsFromTheLastEventsAndPrintsHumanLines) {
    write_events(30);
    auto o = options({"events", "tail", "-f", "--account", m_account.id, "-n", "2"});
    Process tail(o);
    ASSERT_TRUE(tail.wait_for_output(
        [](const std::string& out, const std::string&) { return contains(out, "\n30  "); }, 60s));
    const auto w = put(m_account.id, m_laptop.id, "late", "x");
    publish(m_account.id, w, "late", m_laptop.id);
    EXPECT_TRUE(tail.wait_for_output(
        [](const std::string& out, const std::string&) { return contains(out, "  late  "); }, 60s));
    tail.send_signal(SIGTERM);
    const auto r = tail.wait();
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 3U) << r.out;
    EXPECT_TRUE(lines[0].starts_with("29  ")) << r.out;
    EXPECT_TRUE(lines[2].starts_with("31  ")) << r.out;
}

TEST_F(CliEvents, FollowWithoutRedisExitsFiveBeforePrintingAnything) {
    write_events(2);
    ProcessOptions o;
    o.env["REDIS_URL"] = "redis://:pw-s3cret@127.0.0.1:1/0";
    o.timeout = 30s;
    const auto r =
        run({"--timeout", "2", "events", "tail", "--follow", "--account", m_account.id}, o);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 5) << describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_FALSE(contains(r.err, "pw-s3cret")) << r.err;
    // Without --follow Redis is not needed at all.
    EXPECT_EQ(run({"events", "tail", "--account", m_account.id}, o).exit_code, 0);
}

TEST_F(CliEvents, AnUnknownAccountExitsThree) {
    const auto r = run({"events", "tail", "--follow", "--account", "ghost@example.org"});
    EXPECT_EQ(r.exit_code, 3) << describe(r);
    EXPECT_EQ(r.err, "edgesync: error: no account with email ghost@example.org\n");
}

}  // namespace
}  // namespace edgesync::test
