// `edgesync state list|show`: metadata of an account's states, as a table and
// as JSON, paging, raw ciphertext, and the errors a script relies on.
#include <nlohmann/json.hpp>

#include "tests/e2e/cli_data_fixture.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

class CliState : public CliAdminTest {
  protected:
    void SetUp() override {
        m_account = make_account();
        m_laptop = make_device(m_account.id, "laptop");
        m_phone = make_device(m_account.id, "phone", DeviceType::mobile);
        (void)put(m_account.id, m_laptop.id, "alpha", "hello");          // seq 1, v1
        (void)put(m_account.id, m_laptop.id, "bravo", "one");            // seq 2, v1
        (void)put(m_account.id, m_phone.id, "bravo", "second version");  // seq 3, v2
        (void)put(m_account.id, m_phone.id, "charlie", "gone soon");     // seq 4, v1
        (void)remove(m_account.id, m_laptop.id, "charlie");              // seq 5, v2
    }

    Account m_account;
    Device m_laptop;
    Device m_phone;
};

TEST_F(CliState, ListIsAnAlignedTableOfEveryKeyWithItsMetadata) {
    const auto r = run_ok({"state", "list", "--account", m_account.email});
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 4U) << r.out;
    EXPECT_TRUE(
        std::regex_match(lines[0], std::regex("KEY +VERSION +SEQ +SIZE +UPDATED +DEVICE +DELETED")))
        << lines[0];
    EXPECT_TRUE(
        std::regex_match(lines[1], std::regex("alpha +1 +1 +5 +" + k_time_re + " +laptop +no")))
        << lines[1];
    EXPECT_TRUE(
        std::regex_match(lines[2], std::regex("bravo +2 +3 +14 +" + k_time_re + " +phone +no")))
        << lines[2];
    EXPECT_TRUE(
        std::regex_match(lines[3], std::regex("charlie +2 +5 +0 +" + k_time_re + " +laptop +yes")))
        << lines[3];
    expect_aligned(lines);
    EXPECT_EQ(r.err, "");
}

TEST_F(CliState, ListJsonHasAStableShape) {
    const auto doc =
        json::parse(run_ok({"--json", "state", "list", "--account", m_account.email}).out);
    EXPECT_EQ(doc["account"], (json{{"id", m_account.id}, {"email", m_account.email}}));
    EXPECT_EQ(doc["limit"], 100);
    EXPECT_EQ(doc["offset"], 0);
    EXPECT_EQ(doc["more"], false);
    ASSERT_EQ(doc["states"].size(), 3U);
    const auto stored = m_states.get(m_account.id, "bravo");
    ASSERT_TRUE(stored);
    EXPECT_EQ(doc["states"][1], (json{{"key", "bravo"},
                                      {"version", 2},
                                      {"seq", 3},
                                      {"size", 14},
                                      {"created_at", format_rfc3339(stored->created_at)},
                                      {"updated_at", format_rfc3339(stored->updated_at)},
                                      {"device_id", m_phone.id},
                                      {"device_name", "phone"},
                                      {"deleted", false},
                                      {"deleted_at", nullptr}}));
    EXPECT_EQ(doc["states"][2]["key"], "charlie");
    EXPECT_EQ(doc["states"][2]["deleted"], true);
    EXPECT_TRUE(doc["states"][2]["deleted_at"].is_string());
    EXPECT_FALSE(doc["states"][0].contains("state"));  // never the blob in a listing
}

TEST_F(CliState, ListPagesWithLimitAndOffset) {
    const auto first = run_ok({"state", "list", "--account", m_account.id, "--limit", "2"});
    const auto lines = lines_of(first.out);
    ASSERT_EQ(lines.size(), 4U) << first.out;
    EXPECT_TRUE(lines[1].starts_with("alpha ")) << first.out;
    EXPECT_TRUE(lines[2].starts_with("bravo ")) << first.out;
    EXPECT_EQ(lines[3], "more: --offset 2");

    const auto last = json::parse(run_ok({"state", "list", "--json", "--account", m_account.id,
                                          "--limit", "2", "--offset", "2"})
                                      .out);
    EXPECT_EQ(last["more"], false);
    EXPECT_EQ(last["offset"], 2);
    ASSERT_EQ(last["states"].size(), 1U);
    EXPECT_EQ(last["states"][0]["key"], "charlie");

    EXPECT_EQ(run_ok({"state", "list", "--account", m_account.id, "--offset", "3"}).out,
              "no states after offset 3\n");
    EXPECT_EQ(run({"state", "list", "--account", m_account.id, "--limit", "0"}).exit_code, 2);
    EXPECT_EQ(run({"state", "list", "--account", m_account.id, "--offset", "x"}).exit_code, 2);
}

TEST_F(CliState, AnAccountWithoutStatesSaysSo) {
    const auto empty = make_account();
    EXPECT_EQ(run_ok({"state", "list", "--account", empty.email}).out, "no states\n");
    EXPECT_EQ(json::parse(run_ok({"--json", "state", "list", "--account", empty.id}).out)["states"],
              json::array());
}

TEST_F(CliState, ShowPrintsOneStatesMetadataButNotItsBlob) {
    const auto r = run_ok({"state", "show", "--account", m_account.email, "bravo"});
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 9U) << r.out;
    EXPECT_EQ(lines[0], "account  " + m_account.email + " (" + m_account.id + ")");
    EXPECT_EQ(lines[1], "key      bravo");
    EXPECT_EQ(lines[2], "version  2");
    EXPECT_EQ(lines[3], "seq      3");
    EXPECT_EQ(lines[4], "size     14 bytes");
    EXPECT_TRUE(std::regex_match(lines[5], std::regex("created  " + k_time_re))) << lines[5];
    EXPECT_TRUE(std::regex_match(lines[6], std::regex("updated  " + k_time_re))) << lines[6];
    EXPECT_EQ(lines[7], "device   phone (" + m_phone.id + ")");
    EXPECT_EQ(lines[8], "deleted  no");
    EXPECT_FALSE(contains(r.out, "nonce"));

    const auto tomb = run_ok({"state", "show", "--account", m_account.email, "charlie"});
    EXPECT_TRUE(std::regex_search(tomb.out, std::regex("\ndeleted  " + k_time_re + "\n")))
        << tomb.out;
}

TEST_F(CliState, ShowRawPrintsTheCiphertextAndNonceInBase64) {
    Bytes nonce(24);
    for (std::size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<std::uint8_t>(i * 11);
    const std::string blob("\x00\xff binary \x01\x02", 13);
    (void)put(m_account.id, m_laptop.id, "raw", blob, nonce);

    const auto human = run_ok({"state", "show", "--raw", "--account", m_account.id, "raw"});
    EXPECT_TRUE(contains(human.out, "\nnonce    " + base64_encode(nonce) + "\n")) << human.out;
    EXPECT_TRUE(contains(human.out, "\nstate    " + base64_encode(to_bytes(blob)) + "\n"))
        << human.out;

    const auto doc = json::parse(
        run_ok({"--json", "state", "show", "--raw", "--account", m_account.id, "raw"}).out);
    EXPECT_EQ(doc["nonce"], base64_encode(nonce));
    EXPECT_EQ(doc["state"], base64_encode(to_bytes(blob)));
    EXPECT_EQ(doc["key"], "raw");
    EXPECT_EQ(doc["version"], 1);
    EXPECT_EQ(doc["size"], 13);
    EXPECT_EQ(doc["device_name"], "laptop");
    EXPECT_EQ(doc["account"]["id"], m_account.id);

    const auto plain =
        json::parse(run_ok({"--json", "state", "show", "--account", m_account.id, "raw"}).out);
    EXPECT_FALSE(plain.contains("state"));
    EXPECT_FALSE(plain.contains("nonce"));
}

TEST_F(CliState, AMissingKeyOrAccountExitsThree) {
    const auto key = run({"state", "show", "--account", m_account.email, "nope"});
    EXPECT_EQ(key.exit_code, 3) << describe(key);
    EXPECT_EQ(key.err, "edgesync: error: no state 'nope' in account '" + m_account.email + "'\n");

    const auto by_email = run({"state", "list", "--account", "nobody@example.org"});
    EXPECT_EQ(by_email.exit_code, 3) << describe(by_email);
    EXPECT_EQ(by_email.err, "edgesync: error: no account with email nobody@example.org\n");
    EXPECT_EQ(by_email.out, "");

    const std::string unknown_id = "3f2a9c1e-0b7d-4c55-9a7e-2d1f0c8b6a41";
    const auto by_id = run({"--json", "state", "list", "--account", unknown_id});
    EXPECT_EQ(by_id.exit_code, 3) << describe(by_id);
    EXPECT_EQ(json::parse(by_id.out)["error"]["exit_code"], 3);
}

TEST_F(CliState, AMalformedAccountIsAUsageError) {
    for (const std::string bad : {"3f2a9c1e-0b7d-4c55-9a7e", "not-an-account", "@", ""}) {
        const auto r = run({"state", "list", "--account", bad});
        EXPECT_EQ(r.exit_code, 2) << bad << ": " << describe(r);
        EXPECT_TRUE(r.err.starts_with("edgesync: error: ")) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
    const auto missing = run({"state", "list"});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_TRUE(contains(missing.err, "--account is required")) << missing.err;
}

TEST_F(CliState, ControlCharactersInAnErrorMessageAreEscaped) {
    const auto r = run({"state", "list", "--account", "evil\x1b[2J@example.org"});
    EXPECT_EQ(r.exit_code, 3) << describe(r);
    EXPECT_FALSE(contains(r.err, "\x1b")) << r.err;
    EXPECT_TRUE(contains(r.err, "evil\\x1b[2J@example.org")) << r.err;
}

TEST_F(CliState, ControlCharactersInKeysAreEscapedOnATerminalTable) {
    (void)put(m_account.id, m_laptop.id, "evil\x1b[2Jkey", "x");
    const auto r = run_ok({"state", "list", "--account", m_account.id});
    EXPECT_FALSE(contains(r.out, "\x1b")) << r.out;
    EXPECT_TRUE(contains(r.out, "evil\\x1b[2Jkey")) << r.out;
    const auto doc =
        json::parse(run_ok({"--json", "state", "list", "--account", m_account.id}).out);
    EXPECT_EQ(doc["states"][3]["key"], "evil\x1b[2Jkey");  // JSON carries the key as stored
}

TEST_F(CliState, AnUnreachableDatabaseExitsFive) {
    ProcessOptions o;
    o.env["DATABASE_URL"] = "postgresql://admin:pw-s3cret@127.0.0.1:1/edgesync";
    o.timeout = std::chrono::seconds(30);
    const auto r = run({"--timeout", "2", "state", "list", "--account", m_account.email}, o);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 5) << describe(r);
    EXPECT_TRUE(r.err.starts_with("edgesync: error: cannot connect to Postgres")) << r.err;
    EXPECT_FALSE(contains(r.out + r.err, "pw-s3cret"));
}

}  // namespace
}  // namespace edgesync::test
