// `edgesync account ...` as an admin or a script runs it: the built binary
// against a private database and the test Redis.
#include <gtest/gtest.h>

#include "shared/crypto/password.hpp"
#include "tests/e2e/cli_admin_fixture.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

class CliAccount : public CliAdmin {
  protected:
    static constexpr const char* k_secret = "Tr0ub4dor&3-horse-staple";

    Account stored(const std::string& email) {
        auto a = m_accounts.resolve(email);
        EXPECT_TRUE(a.has_value()) << email;
        return a ? *a : Account{};
    }
};

TEST_F(CliAccount, CreateTakesThePasswordFromStdinAndNeverPrintsIt) {
    const auto email = random_email();
    const auto r = run_ok({"-v", "account", "create", email, "--password-stdin"},
                          piped(std::string(k_secret) + "\n"));
    const auto a = stored(email);
    EXPECT_EQ(r.out, "created account " + email + " (" + a.id + "), quota unlimited\n");
    EXPECT_TRUE(crypto::verify_password(a.password_hash, k_secret));  // newline stripped
    EXPECT_FALSE(contains(r.out + r.err, k_secret));
    EXPECT_FALSE(contains(r.out + r.err, "argon2"));
}

TEST_F(CliAccount, CreateJsonHasTheDocumentedShapeAndNoSecrets) {
    const auto email = random_email();
    const auto j = run_json({"account", "create", email, "--password-stdin", "--quota", "500MiB"},
                            piped(k_secret));
    const auto& a = j.at("account");
    EXPECT_EQ(a.at("id"), stored(email).id);
    EXPECT_EQ(a.at("email"), email);
    EXPECT_EQ(a.at("status"), "active");
    EXPECT_EQ(a.at("quota_bytes"), 500 * 1024 * 1024);
    EXPECT_EQ(a.at("used_bytes"), 0);
    EXPECT_TRUE(a.at("created_at").is_string());
    EXPECT_TRUE(a.at("updated_at").is_string());
    EXPECT_TRUE(a.at("disabled_at").is_null());
    EXPECT_TRUE(a.at("deleted_at").is_null());
    EXPECT_FALSE(a.contains("password_hash"));
    EXPECT_FALSE(contains(j.dump(), k_secret));
}

TEST_F(CliAccount, CreateOnATerminalAsksTwiceWithoutPrintingThePassword) {
    const auto email = random_email();
    const std::string typed = std::string(k_secret) + "\n" + k_secret + "\n";
    const auto r = run_ok({"account", "create", email}, terminal(typed));
    EXPECT_TRUE(contains(r.err, "new password for " + email)) << r.err;
    EXPECT_TRUE(contains(r.err, "repeat the password")) << r.err;
    EXPECT_FALSE(contains(r.out + r.err, k_secret));
    EXPECT_TRUE(crypto::verify_password(stored(email).password_hash, k_secret));
}

TEST_F(CliAccount, CreateOnATerminalWithDifferentEntriesCreatesNothing) {
    const auto email = random_email();
    const auto r = run_fails({"account", "create", email}, 1,
                             terminal(std::string(k_secret) + "\nsomething-else-entirely\n"));
    EXPECT_TRUE(contains(r.err, "do not match")) << r.err;
    EXPECT_FALSE(m_accounts.resolve(email).has_value());
}

TEST_F(CliAccount, PasswordsOnTheCommandLineAreRefusedWithoutEchoingThem) {
    const auto email = random_email();
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"account", "create", email, k_secret},
             {"account", "create", email, "--password", k_secret},
             {"account", "create", email, std::string("--password=") + k_secret},
         }) {
        const auto r = run_fails(args, 2);
        EXPECT_TRUE(contains(r.err, "--password-stdin")) << r.err;
        EXPECT_FALSE(contains(r.out + r.err, k_secret)) << r.err;
    }
    EXPECT_FALSE(m_accounts.resolve(email).has_value());
}

TEST_F(CliAccount, CreateWithoutATerminalOrPasswordStdinRefusesAtOnce) {
    const auto email = random_email();
    const auto r = run_fails({"account", "create", email}, 2);
    EXPECT_TRUE(contains(r.err, "--password-stdin")) << r.err;
    EXPECT_FALSE(r.timed_out);
    EXPECT_FALSE(m_accounts.resolve(email).has_value());
}

TEST_F(CliAccount, CreateRejectsBadInputWithUsageOrConflictCodes) {
    const auto taken = make_account();
    run_fails({"account", "create", "not-an-email", "--password-stdin"}, 2, piped(k_secret));
    const auto weak =
        run_fails({"account", "create", random_email(), "--password-stdin"}, 2, piped("short"));
    EXPECT_TRUE(contains(weak.err, "at least 12")) << weak.err;
    EXPECT_FALSE(contains(weak.err, "short")) << weak.err;
    run_fails({"account", "create", random_email(), "--password-stdin", "--quota", "lots"}, 2,
              piped(k_secret));
    // Emails are unique in any letter case.
    std::string upper = taken.email;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    const auto dup =
        run_fails({"--json", "account", "create", upper, "--password-stdin"}, 4, piped(k_secret));
    EXPECT_EQ(json::parse(dup.out)["error"]["exit_code"], 4);
}

TEST_F(CliAccount, ListPagesThroughMatchesAsAnAlignedTable) {
    const auto tag = unique_name("list");
    std::vector<Account> made;
    for (int i = 0; i < 3; ++i) {
        auto a = m_accounts.create(tag + "-" + std::to_string(i) + "@example.org", password());
        ASSERT_TRUE(a.has_value());
        made.push_back(*a);
    }
    const auto r = run_ok({"account", "list", "--search", tag, "--limit", "2"});
    std::vector<std::string> lines;
    for (std::size_t start = 0, nl; (nl = r.out.find('\n', start)) != std::string::npos;
         start = nl + 1)
        lines.push_back(r.out.substr(start, nl - start));
    ASSERT_EQ(lines.size(), 4U) << r.out;
    EXPECT_TRUE(lines[0].starts_with("ID ")) << r.out;
    const auto email_column = lines[0].find("EMAIL");
    EXPECT_EQ(lines[1].find(made[0].email), email_column) << r.out;
    EXPECT_EQ(lines[2].find(made[1].email), email_column) << r.out;
    EXPECT_EQ(lines[3], "accounts 1-2 of 3 (next: --offset 2)");

    const auto page =
        run_json({"account", "list", "--search", tag, "--limit", "2", "--offset", "2"});
    EXPECT_EQ(page["total"], 3);
    EXPECT_EQ(page["limit"], 2);
    EXPECT_EQ(page["offset"], 2);
    ASSERT_EQ(page["accounts"].size(), 1U);
    EXPECT_EQ(page["accounts"][0]["id"], made[2].id);

    ASSERT_TRUE(m_accounts.remove(made[0].id).has_value());
    EXPECT_EQ(run_json({"account", "list", "--search", tag})["total"], 2);
    EXPECT_EQ(run_json({"account", "list", "--search", tag, "--deleted"})["total"], 3);
    EXPECT_EQ(run_ok({"account", "list", "--search", unique_name("none")}).out,
              "no accounts (total matching: 0)\n");
    run_fails({"account", "list", "--limit", "0"}, 2);
    run_fails({"account", "list", "--offset", "-1"}, 2);
}

TEST_F(CliAccount, ShowListsDevicesSessionsUsageAndLastActivity) {
    const auto a = make_account();
    const auto laptop = make_device(a.id, "laptop");
    (void)make_device(a.id, "phone");
    (void)make_session(a.id, laptop.id);
    const auto r = run_ok({"account", "show", a.email});
    EXPECT_TRUE(contains(r.out, "Account:        " + a.id + "\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "Status:         active\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "Usage:          0 B (no quota)\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "Sessions:       1 live\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "Devices:        2\n")) << r.out;
    EXPECT_FALSE(contains(r.out, "Last activity:  never")) << r.out;
    EXPECT_TRUE(contains(r.out, laptop.id + "  laptop")) << r.out;

    const auto j = run_json({"account", "show", a.id});
    EXPECT_EQ(j["account"]["email"], a.email);
    EXPECT_EQ(j["sessions"], 1);
    ASSERT_EQ(j["devices"].size(), 2U);
    EXPECT_EQ(j["devices"][0]["name"], "laptop");
    EXPECT_EQ(j["devices"][0]["status"], "active");
    EXPECT_TRUE(j["last_activity"].is_string());
}

TEST_F(CliAccount, UnknownAccountsExitThreeAndMalformedRefsExitTwo) {
    const auto unknown_email = run_fails({"account", "show", random_email()}, 3);
    EXPECT_TRUE(contains(unknown_email.err, "no account with email")) << unknown_email.err;
    run_fails({"account", "show", new_uuid()}, 3);
    const auto malformed = run_fails({"account", "show", "3f1c-not-a-uuid"}, 2);
    EXPECT_TRUE(contains(malformed.err, "neither an account id (UUID) nor an email"))
        << malformed.err;
    run_fails({"account", "disable", "3f1c-not-a-uuid", "--yes"}, 2);
    run_fails({"account", "enable", new_uuid()}, 3);
}

TEST_F(CliAccount, DisableEndsEverySessionAndPublishesAndEnableUndoesIt) {
    const auto a = make_account();
    const auto d = make_device(a.id);
    const auto s1 = make_session(a.id, d.id);
    const auto s2 = make_session(a.id, d.id);
    const auto j = run_json({"account", "disable", a.email, "--yes"});
    EXPECT_EQ(j["account"]["status"], "disabled");
    EXPECT_TRUE(j["account"]["disabled_at"].is_string());
    EXPECT_EQ(j["sessions_ended"], 2);
    EXPECT_FALSE(session_exists(s1));
    EXPECT_FALSE(session_exists(s2));
    EXPECT_TRUE(account_now(a).disabled());
    EXPECT_EQ(m_revocations.drain(a.id), std::vector{RevocationNotice::for_account(a.id)});

    const auto r = run_ok({"account", "enable", a.id});
    EXPECT_EQ(r.out, "enabled account " + a.email + " (" + a.id + ")\n");
    EXPECT_TRUE(account_now(a).active());
    EXPECT_EQ(run_json({"account", "enable", a.id})["account"]["status"], "active");
    const auto again = run_ok({"account", "disable", a.id, "--yes"});
    EXPECT_EQ(again.out, "disabled account " + a.email + " (" + a.id + "); ended 0 session(s)\n");
}

TEST_F(CliAccount, DeleteRevokesDevicesEndsSessionsAndKeepsTheRowForShow) {
    const auto a = make_account();
    const auto d1 = make_device(a.id, "one");
    (void)make_device(a.id, "two");
    const auto s = make_session(a.id, d1.id);
    const auto r = run_ok({"account", "delete", a.email, "--yes"});
    EXPECT_EQ(r.out, "deleted account " + a.email + " (" + a.id +
                         "); revoked 2 device(s), ended 1 session(s)\n");
    EXPECT_FALSE(session_exists(s));
    for (const auto& d : devices_now(a)) EXPECT_TRUE(d.revoked()) << d.name;
    EXPECT_EQ(m_revocations.drain(a.id), std::vector{RevocationNotice::for_account(a.id)});

    EXPECT_EQ(run_json({"account", "show", a.id})["account"]["status"], "deleted");
    run_fails({"account", "show", a.email}, 3);  // its email is free again
    run_fails({"account", "delete", a.id, "--yes"}, 3);
    const auto j = run_json({"account", "create", a.email, "--password-stdin"}, piped(k_secret));
    EXPECT_NE(j["account"]["id"], a.id);

    const auto b = make_account();
    (void)make_session(b.id, make_device(b.id).id);
    const auto deleted = run_json({"account", "delete", b.id, "--yes"});
    EXPECT_EQ(deleted["account"]["id"], b.id);
    EXPECT_EQ(deleted["account"]["status"], "deleted");
    EXPECT_TRUE(deleted["account"]["deleted_at"].is_string());
    EXPECT_EQ(deleted["devices_revoked"], 1);
    EXPECT_EQ(deleted["sessions_ended"], 1);
}

TEST_F(CliAccount, PasswdSetsTheNewPasswordAndEndsSessions) {
    const auto a = make_account();
    const auto s = make_session(a.id, make_device(a.id).id);
    const auto j = run_json({"account", "passwd", a.email, "--password-stdin"},
                            piped(std::string(k_secret) + "\r\n"));
    EXPECT_EQ(j["sessions_ended"], 1);
    EXPECT_FALSE(contains(j.dump(), k_secret));
    EXPECT_FALSE(session_exists(s));
    EXPECT_TRUE(crypto::verify_password(account_now(a).password_hash, k_secret));
    EXPECT_EQ(m_revocations.drain(a.id), std::vector{RevocationNotice::for_account(a.id)});

    const auto typed = std::string("another-long-password\nanother-long-password\n");
    const auto r = run_ok({"account", "passwd", a.id}, terminal(typed));
    EXPECT_EQ(r.out, "changed the password of account " + a.email + " (" + a.id +
                         "); ended 0 session(s)\n");
    EXPECT_FALSE(contains(r.out + r.err, "another-long-password"));
    EXPECT_TRUE(crypto::verify_password(account_now(a).password_hash, "another-long-password"));
    run_fails({"account", "passwd", a.id}, 2);  // no terminal, no --password-stdin
    run_fails({"account", "passwd", a.id, k_secret}, 2);
}

}  // namespace
}  // namespace edgesync::test
