// `edgesync-agent enroll`: the first device of an account and later devices
// that unlock the account key with the recovery passphrase; re-running enroll;
// what the command line says about itself.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "agent/exit_codes.hpp"
#include "agent/fingerprint.hpp"
#include "shared/crypto/recovery.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "tests/e2e/agent_enroll_fixture.hpp"

namespace edgesync::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class AgentEnroll : public AgentEnrollFixture {
  protected:
    // The recovery blob on the server, unwrapped with `passphrase` (base64 of
    // the key; "" when it does not open).
    std::string recovery_key_as(const std::string& device, std::string_view passphrase) {
        const auto r = call_as(device, "GET", "/v1/keys/recovery");
        EXPECT_EQ(r.status, 200) << r.describe();
        const auto b = json::parse(r.body, nullptr, false);
        if (!b.is_object()) return "";
        crypto::PassphraseWrappedKey w;
        EXPECT_TRUE(base64_decode(b.value("salt", ""), w.salt));
        EXPECT_TRUE(base64_decode(b.value("nonce", ""), w.nonce));
        EXPECT_TRUE(base64_decode(b.value("wrapped_key", ""), w.wrapped_key));
        w.limits.opslimit = b.value("opslimit", std::uint64_t{0});
        w.limits.memlimit = b.value("memlimit", std::uint64_t{0});
        const auto key =
            crypto::unwrap_with_passphrase(w, state(device).load_config().account_id, passphrase);
        return key ? base64_encode(key->to_bytes()) : std::string();
    }

    // The device's sealed copy on the server, opened with its device.key
    // (base64; "" when the server holds none for it).
    std::string server_copy_of(const std::string& device) {
        const auto r = call_as(device, "GET", "/v1/keys/device");
        if (r.status == 404) return "";
        EXPECT_EQ(r.status, 200) << r.describe();
        Bytes sealed;
        EXPECT_TRUE(base64_decode(json::parse(r.body).value("wrapped_key", ""), sealed));
        const auto key = crypto::open_sealed(state(device).load_device_key(), sealed);
        EXPECT_TRUE(key.has_value()) << "the server copy does not open with device.key";
        return key ? base64_encode(key->to_bytes()) : std::string();
    }
};

TEST_F(AgentEnroll, FirstDeviceWritesPrivateStateFilesAndTheConfig) {
    const auto r = enroll_with_passphrase("first");
    ASSERT_EQ(r.exit_code, 0) << describe(r);

    EXPECT_EQ(mode_of(state_dir("first")), 0700U);
    for (const char* name : {"config.json", "tokens.json", "device.key", "account.key"})
        EXPECT_EQ(mode_of(state_dir("first") / name), 0600U) << name;
    EXPECT_TRUE(fs::is_directory(sync_dir("first"))) << "the sync folder is created";

    const auto config = state("first").load_config();
    EXPECT_EQ(config.server, base());
    EXPECT_EQ(config.email, m_email);
    EXPECT_EQ(config.device_name, "first");
    EXPECT_EQ(config.sync_dir, sync_dir("first"));
    EXPECT_EQ(config.password_file, m_password_file);
    EXPECT_EQ(state("first").load_tokens().device_id, config.device_id);
    // The password and passphrase are kept by path only, never copied.
    for (const auto& entry : fs::directory_iterator(state_dir("first"))) {
        std::ifstream in(entry.path(), std::ios::binary);
        const std::string text((std::istreambuf_iterator<char>(in)), {});
        EXPECT_EQ(text.find(k_api_password), std::string::npos) << entry.path();
        EXPECT_EQ(text.find(k_recovery_passphrase), std::string::npos) << entry.path();
    }

    // The device is registered as an agent with this device.key's public key,
    // and the fingerprint printed is that key's.
    const auto pk = state("first").load_device_key().public_key;
    EXPECT_EQ(printed_fingerprint(r.out), agent::device_fingerprint(pk)) << r.out;
    const auto devices = json::parse(call_as("first", "GET", "/v1/devices").body)["devices"];
    ASSERT_EQ(devices.size(), 1U);
    EXPECT_EQ(devices[0].value("device_type", ""), "agent");
    EXPECT_EQ(devices[0].value("public_key", ""), base64_encode(pk));
}

TEST_F(AgentEnroll, FirstDeviceStoresTheAccountKeySealedToItselfAndUnderThePassphrase) {
    const auto r = enroll_with_passphrase("first");
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto key = account_key_of("first");
    ASSERT_FALSE(key.empty());
    EXPECT_EQ(state("first").load_account_key()->key_version, 1);
    EXPECT_EQ(server_copy_of("first"), key);
    EXPECT_EQ(recovery_key_as("first", k_recovery_passphrase), key);
    EXPECT_EQ(recovery_key_as("first", k_wrong_passphrase), "");
}

TEST_F(AgentEnroll, FirstDeviceWithoutPassphraseWarnsThatLosingEveryDeviceLosesTheData) {
    const auto r = enroll("first");
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.err.find("warning"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("cannot be decrypted"), std::string::npos) << r.err;
    EXPECT_EQ(server_copy_of("first"), account_key_of("first"));
    EXPECT_EQ(call_as("first", "GET", "/v1/keys/recovery").status, 404);
}

TEST_F(AgentEnroll, SecondDeviceUnlocksTheSameAccountKeyWithTheRecoveryPassphrase) {
    ASSERT_EQ(enroll_with_passphrase("first").exit_code, 0);
    const auto r = enroll_with_passphrase("second");
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(account_key_of("second"), account_key_of("first"));
    EXPECT_NE(state("second").load_config().device_id, state("first").load_config().device_id);
    // Another device holds the key: the server keeps no copy for this one
    // until it is approved, and the output says how to get one.
    EXPECT_EQ(server_copy_of("second"), "");
    EXPECT_NE(r.out.find("edgesync-agent approve " + state("second").load_config().device_id),
              std::string::npos)
        << r.out;
}

TEST_F(AgentEnroll, APassphraseForAnAccountWithoutRecoveryKeyFallsBackToApproval) {
    ASSERT_EQ(enroll("first").exit_code, 0);
    const auto r = enroll_with_passphrase("second");
    EXPECT_EQ(r.exit_code, agent::k_exit_awaiting_approval) << describe(r);
    EXPECT_NE(r.err.find("no recovery key"), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("edgesync-agent approve"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(state("second").file("account.key")));
}

TEST_F(AgentEnroll, PassphraseDeviceBecomesAKeyHolderWhenNoOtherDeviceHoldsTheKey) {
    ASSERT_EQ(enroll_with_passphrase("first").exit_code, 0);
    const auto first_id = state("first").load_config().device_id;
    ASSERT_EQ(call_as("first", "DELETE", "/v1/devices/" + first_id).status, 204);
    const auto r = enroll_with_passphrase("second");
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(server_copy_of("second"), account_key_of("second"));
}

TEST_F(AgentEnroll, WrongPassphraseFailsClearlyAndLeavesAPendingEnrollmentThatCanBeRedone) {
    ASSERT_EQ(enroll_with_passphrase("first").exit_code, 0);
    const auto wrong =
        enroll("second", {"--recovery-passphrase-file", m_wrong_passphrase_file.string()});
    EXPECT_EQ(wrong.exit_code, 1) << describe(wrong);
    EXPECT_NE(wrong.err.find("wrong recovery passphrase"), std::string::npos) << wrong.err;
    EXPECT_FALSE(fs::exists(state("second").file("account.key")));
    EXPECT_TRUE(state("second").enrolled()) << "the device stays registered, waiting";

    const auto again = enroll_with_passphrase("second");
    ASSERT_EQ(again.exit_code, 0) << describe(again);
    EXPECT_EQ(account_key_of("second"), account_key_of("first"));
}

TEST_F(AgentEnroll, AShortPassphraseOrThePasswordIsRefusedBeforeAnythingIsRegistered) {
    const auto short_file = m_root.write("secrets/short", "too short\n");
    const auto r = enroll("first", {"--recovery-passphrase-file", short_file.string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("at least 12 characters"), std::string::npos) << r.err;

    const auto same = enroll("first", {"--recovery-passphrase-file", m_password_file.string()});
    EXPECT_EQ(same.exit_code, 2) << describe(same);
    EXPECT_NE(same.err.find("differ from the account password"), std::string::npos) << same.err;
    EXPECT_FALSE(state("first").enrolled());
    const auto l = m_api.login(m_email);
    EXPECT_EQ(
        json::parse(m_api.call("GET", "/v1/devices", nullptr, l.access).body)["devices"].size(), 1U)
        << "only this check's own login device";
}

TEST_F(AgentEnroll, AnAccountWithDataButNoKeyHolderGetsNoNewKey) {
    const auto browser = m_api.login(m_email);
    const auto put =
        m_api.call("PUT", "/v1/states/somekey",
                   {{"state", base64_encode(Bytes(40, 1))}, {"nonce", base64_encode(Bytes(24, 2))}},
                   browser.access, {{"If-None-Match", "*"}});
    ASSERT_EQ(put.status, 201) << put.describe();
    const auto r = enroll_with_passphrase("first");
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("stores encrypted data"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(state("first").file("account.key")));
}

TEST_F(AgentEnroll, EnrollingAgainForTheSameAccountSaysAlreadyEnrolled) {
    ASSERT_EQ(enroll_with_passphrase("first").exit_code, 0);
    const auto key = account_key_of("first");
    const auto r = enroll("first");
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("Already enrolled"), std::string::npos) << r.out;
    EXPECT_EQ(account_key_of("first"), key);
}

TEST_F(AgentEnroll, EnrollingAnEnrolledStateDirForAnotherAccountIsRefused) {
    ASSERT_EQ(enroll("first").exit_code, 0);
    const auto before = state("first").load_config();
    auto r = agent("first",
                   {"enroll", "--server", base(), "--email", "other@example.com", "--password-file",
                    m_password_file.string(), "--dir", sync_dir("first").string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("already enrolled"), std::string::npos) << r.err;
    EXPECT_EQ(state("first").load_config().email, before.email);
    EXPECT_EQ(state("first").load_config().device_id, before.device_id);
}

TEST_F(AgentEnroll, AWrongPasswordFailsWithoutEnrolling) {
    const auto bad = m_root.write("secrets/bad-password", "not the password at all\n");
    auto r = agent("first", {"enroll", "--server", base(), "--email", m_email, "--password-file",
                             bad.string(), "--dir", sync_dir("first").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("login failed"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("not the password at all"), std::string::npos) << r.err;
    EXPECT_FALSE(state("first").enrolled());
}

TEST_F(AgentEnroll, HelpTextsDescribeTheOptionsAsBuilt) {
    const auto e = agent("help", {"enroll", "--help"});
    EXPECT_EQ(e.exit_code, 0) << describe(e);
    for (const char* option : {"--server", "--email", "--password-file", "--dir", "--name",
                               "--recovery-passphrase-file", "--wait-approval"})
        EXPECT_NE(e.out.find(option), std::string::npos) << option << "\n" << e.out;
    const auto a = agent("help", {"approve", "--help"});
    EXPECT_EQ(a.exit_code, 0) << describe(a);
    EXPECT_NE(a.out.find("--yes"), std::string::npos) << a.out;
    EXPECT_NE(a.out.find("fingerprint"), std::string::npos) << a.out;
    EXPECT_NE(e.out.find("11 registered, waiting for approval"), std::string::npos) << e.out;
    EXPECT_NE(a.out.find("3 no such device"), std::string::npos) << a.out;
    EXPECT_EQ((e.out + a.out).find("not built"), std::string::npos);
}

TEST_F(AgentEnroll, AMissingRequiredOptionIsAUsageError) {
    const auto r = agent("first", {"enroll", "--server", base()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_FALSE(state("first").enrolled());
}

}  // namespace
}  // namespace edgesync::test
