// A later device that gets the account key by approval: `enroll` without a
// passphrase leaves it pending, `edgesync-agent approve` on an enrolled device
// seals the key to it, and `enroll` again (or --wait-approval) picks it up.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "agent/exit_codes.hpp"
#include "agent/fingerprint.hpp"
#include "tests/e2e/agent_enroll_fixture.hpp"

namespace edgesync::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class AgentApproval : public AgentEnrollFixture {
  protected:
    void SetUp() override {
        AgentEnrollFixture::SetUp();
        ASSERT_EQ(enroll_with_passphrase("first").exit_code, 0);
    }

    // Enrolls `device` without a passphrase: registered, waiting.
    std::string enroll_pending(const std::string& device) {
        const auto r = enroll(device);
        EXPECT_EQ(r.exit_code, agent::k_exit_awaiting_approval) << describe(r);
        m_pending_out = r.out;
        return state(device).load_config().device_id;
    }

    bool holds_server_copy(const std::string& device) {
        return call_as(device, "GET", "/v1/keys/device").status == 200;
    }

    std::string m_pending_out;
};

TEST_F(AgentApproval, PendingDeviceShowsItsIdAndFingerprintAndHowToApproveIt) {
    const auto id = enroll_pending("second");
    const auto pk = state("second").load_device_key().public_key;
    EXPECT_NE(m_pending_out.find(agent::device_fingerprint(pk)), std::string::npos)
        << m_pending_out;
    EXPECT_NE(m_pending_out.find("edgesync-agent approve " + id), std::string::npos)
        << m_pending_out;
    EXPECT_FALSE(fs::exists(state("second").file("account.key")));
}

TEST_F(AgentApproval, ApprovedDeviceGetsTheSameAccountKeyOnItsNextEnroll) {
    const auto id = enroll_pending("second");
    const auto approve = agent("first", {"approve", id, "--yes"});
    ASSERT_EQ(approve.exit_code, 0) << describe(approve);
    // The approver shows the same fingerprint the new device printed.
    EXPECT_EQ(printed_fingerprint(approve.out), printed_fingerprint(m_pending_out));

    const auto r = enroll("second", {"--wait-approval", "30"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(account_key_of("second"), account_key_of("first"));
    EXPECT_EQ(state("second").load_account_key()->key_version, 1);
    // Both sides show the same account key fingerprint, for the user to compare.
    const auto ak = agent::account_key_fingerprint(state("first").load_account_key()->key);
    EXPECT_NE(approve.out.find("account key fingerprint: " + ak), std::string::npos) << approve.out;
    EXPECT_NE(r.out.find("account key fingerprint: " + ak), std::string::npos) << r.out;
    EXPECT_TRUE(holds_server_copy("second"));
}

TEST_F(AgentApproval, WaitingEnrollPicksUpAnApprovalGivenWhileItWaits) {
    const auto id = enroll_pending("second");
    ProcessOptions o;
    o.args = {EDGESYNC_AGENT_BINARY,
              "--state-dir",
              state_dir("second").string(),
              "enroll",
              "--server",
              base(),
              "--email",
              m_email,
              "--password-file",
              m_password_file.string(),
              "--dir",
              sync_dir("second").string(),
              "--wait-approval",
              "120"};
    o.unset_env = {"STATE_DIRECTORY", "EDGESYNC_STATE_DIR"};
    o.timeout = std::chrono::seconds(150);
    Process waiting(o);
    ASSERT_TRUE(waiting.wait_for_output(
        [](const std::string& out, const std::string&) {
            return out.find("Waiting up to") != std::string::npos;
        },
        std::chrono::seconds(60)));
    ASSERT_EQ(agent("first", {"approve", id, "--yes"}).exit_code, 0);
    const auto r = waiting.wait();
    expect_no_secrets(r);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("Approved"), std::string::npos) << r.out;
    EXPECT_EQ(account_key_of("second"), account_key_of("first"));
}

TEST_F(AgentApproval, ApprovalCanNameTheDevice) {
    (void)enroll_pending("laptop");
    const auto r = agent("first", {"approve", "laptop", "--yes"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(holds_server_copy("laptop"));
    ASSERT_EQ(enroll("laptop").exit_code, 0);
    EXPECT_EQ(account_key_of("laptop"), account_key_of("first"));
}

TEST_F(AgentApproval, AnApprovedDeviceCanApproveTheNextOne) {
    const auto second = enroll_pending("second");
    ASSERT_EQ(agent("first", {"approve", second, "--yes"}).exit_code, 0);
    ASSERT_EQ(enroll("second").exit_code, 0);
    const auto third = enroll_pending("third");
    const auto r = agent("second", {"approve", third, "--yes"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    ASSERT_EQ(enroll("third").exit_code, 0);
    EXPECT_EQ(account_key_of("third"), account_key_of("first"));
}

TEST_F(AgentApproval, UnknownDeviceFailsAndListsTheDevicesWaitingForApproval) {
    const auto id = enroll_pending("second");
    const auto r = agent("first", {"approve", "no-such-device", "--yes"});
    EXPECT_EQ(r.exit_code, 3) << describe(r);
    EXPECT_NE(r.err.find("no-such-device"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(id), std::string::npos) << "lists the waiting device: " << r.err;
    EXPECT_FALSE(holds_server_copy("second"));
}

TEST_F(AgentApproval, AnAmbiguousNameFailsAndListsTheCandidates) {
    const auto a = enroll_pending("twin");
    fs::rename(state_dir("twin"), m_root.path() / "twin-a");
    const auto b = enroll_pending("twin");
    const auto r = agent("first", {"approve", "twin", "--yes"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find(a), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(b), std::string::npos) << r.err;
}

TEST_F(AgentApproval, ARevokedDeviceIsNotApproved) {
    const auto id = enroll_pending("second");
    ASSERT_EQ(call_as("first", "DELETE", "/v1/devices/" + id).status, 204);
    const auto r = agent("first", {"approve", id, "--yes"});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("revoked"), std::string::npos) << r.err;
}

TEST_F(AgentApproval, WithoutATerminalApprovalNeedsYes) {
    const auto id = enroll_pending("second");
    const auto r = agent("first", {"approve", id});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("--yes"), std::string::npos) << r.err;
    EXPECT_FALSE(holds_server_copy("second"));
}

TEST_F(AgentApproval, OnATerminalTheUserConfirmsAfterSeeingTheFingerprint) {
    const auto id = enroll_pending("second");
    ProcessOptions no;
    no.stdin_is_tty = true;
    no.stdin_data = "n\n";
    const auto refused = agent("first", {"approve", id}, no);
    EXPECT_EQ(refused.exit_code, 1) << describe(refused);
    EXPECT_FALSE(holds_server_copy("second"));

    ProcessOptions yes;
    yes.stdin_is_tty = true;
    yes.stdin_data = "y\n";
    const auto approved = agent("first", {"approve", id}, yes);
    EXPECT_EQ(approved.exit_code, 0) << describe(approved);
    EXPECT_NE(approved.out.find("Approve this device? [y/N]"), std::string::npos) << approved.out;
    EXPECT_LT(approved.out.find("fingerprint"), approved.out.find("Approve this device?"));
    EXPECT_TRUE(holds_server_copy("second"));
}

TEST_F(AgentApproval, WaitingForApprovalTimesOutWithItsOwnExitCode) {
    (void)enroll_pending("second");
    const auto r = enroll("second", {"--wait-approval", "1"});
    EXPECT_EQ(r.exit_code, agent::k_exit_awaiting_approval) << describe(r);
    EXPECT_NE(r.err.find("no approval within 1 s"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(state("second").file("account.key")));
}

TEST_F(AgentApproval, ADeviceWithoutTheKeyCannotApprove) {
    (void)enroll_pending("second");
    (void)enroll_pending("third");
    const auto r = agent("second", {"approve", "third", "--yes"});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("does not hold the account key"), std::string::npos) << r.err;
}

TEST_F(AgentApproval, APassphraseDeviceWithoutAServerCopyExplainsWhyItCannotApprove) {
    ASSERT_EQ(enroll_with_passphrase("second").exit_code, 0);
    (void)enroll_pending("third");
    const auto r = agent("second", {"approve", "third", "--yes"});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("key holder"), std::string::npos) << r.err;
}

TEST_F(AgentApproval, ApproveLogsInAgainAsThisDeviceWhenItsSessionHasEnded) {
    const auto id = enroll_pending("second");
    const auto old = state("first").load_tokens();
    ASSERT_EQ(call_as("first", "POST", "/v1/auth/logout").status, 204);
    const auto r = agent("first", {"approve", id, "--yes"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(holds_server_copy("second"));
    const auto now = state("first").load_tokens();
    EXPECT_NE(now.session_id, old.session_id) << "a new session was saved";
    EXPECT_EQ(now.device_id, old.device_id) << "as the same device";
}

}  // namespace
}  // namespace edgesync::test
