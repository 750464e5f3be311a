#pragma once

// `edgesync-agent enroll` / `approve` end to end: the built agent binary
// against a real server (private database, test Redis), every device in its
// own temp state directory and sync folder. Every run is checked for secrets
// on stdout/stderr (password, passphrases, tokens, account keys).

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/agent_state.hpp"
#include "shared/util/bytes.hpp"
#include "tests/e2e/server_api_fixture.hpp"
#include "tests/support/run_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace edgesync::test {

inline constexpr std::string_view k_recovery_passphrase = "purple elephants dance at noon 7";
inline constexpr std::string_view k_wrong_passphrase = "green giraffes sing at midnight 9";

class AgentEnrollFixture : public ::testing::Test {
  protected:
    void SetUp() override {
        m_email = unique_name("agent-enroll") + "@example.com";
        const auto reg = m_api.call("POST", "/v1/auth/register",
                                    {{"email", m_email}, {"password", k_api_password}});
        ASSERT_EQ(reg.status, 201) << reg.describe();
        m_password_file = m_root.write("secrets/password", std::string(k_api_password) + "\n");
        m_passphrase_file =
            m_root.write("secrets/passphrase", std::string(k_recovery_passphrase) + "\n");
        m_wrong_passphrase_file =
            m_root.write("secrets/wrong", std::string(k_wrong_passphrase) + "\n");
    }

    [[nodiscard]] std::string base() const {
        return "http://" + m_api.host() + ":" + std::to_string(m_api.port());
    }
    [[nodiscard]] std::filesystem::path state_dir(const std::string& device) const {
        return m_root.path() / device / "state";
    }
    [[nodiscard]] std::filesystem::path sync_dir(const std::string& device) const {
        return m_root.path() / device / "sync";
    }
    [[nodiscard]] agent::AgentState state(const std::string& device) const {
        return agent::AgentState(state_dir(device));
    }

    // Runs the agent with --state-dir of `device` and checks that nothing it
    // printed is a secret.
    ProcessResult agent(const std::string& device, std::vector<std::string> args,
                        ProcessOptions options = {}) {
        options.args = {EDGESYNC_AGENT_BINARY, "--state-dir", state_dir(device).string()};
        options.args.insert(options.args.end(), args.begin(), args.end());
        options.unset_env = {"STATE_DIRECTORY", "EDGESYNC_STATE_DIR"};
        if (options.timeout == ProcessOptions{}.timeout) options.timeout = std::chrono::seconds(90);
        auto r = run_process(options);
        m_devices.push_back(device);
        expect_no_secrets(r);
        return r;
    }

    // `enroll` for `device` (name = device) with the account's password file.
    ProcessResult enroll(const std::string& device, std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"enroll",
                                         "--server",
                                         base(),
                                         "--email",
                                         m_email,
                                         "--password-file",
                                         m_password_file.string(),
                                         "--dir",
                                         sync_dir(device).string(),
                                         "--name",
                                         device};
        args.insert(args.end(), extra.begin(), extra.end());
        return agent(device, args);
    }
    ProcessResult enroll_with_passphrase(const std::string& device) {
        return enroll(device, {"--recovery-passphrase-file", m_passphrase_file.string()});
    }

    // account.key of `device`, base64 ("" when it has none).
    [[nodiscard]] std::string account_key_of(const std::string& device) const {
        const auto key = state(device).load_account_key();
        return key ? base64_encode(key->key.to_bytes()) : std::string();
    }

    // A call to the server as `device` (its saved access token).
    HttpResponse call_as(const std::string& device, std::string_view method,
                         std::string_view target, const nlohmann::json& body = nullptr) {
        return m_api.call(method, target, body, state(device).load_tokens().access_token);
    }

    static unsigned mode_of(const std::filesystem::path& p) {
        struct stat st {};
        if (::stat(p.c_str(), &st) != 0) return 0;
        return static_cast<unsigned>(st.st_mode) & 07777U;
    }

    // The fingerprint printed after "fingerprint: " ("" if none).
    static std::string printed_fingerprint(const std::string& out) {
        const std::string label = "fingerprint: ";
        const auto at = out.find("  " + label);
        if (at == std::string::npos) return "";
        const auto start = at + 2 + label.size();
        return out.substr(start, out.find('\n', start) - start);
    }

    void expect_no_secrets(const ProcessResult& r) {
        const std::string all = r.out + r.err;
        for (std::string_view secret : {k_api_password, k_recovery_passphrase, k_wrong_passphrase})
            EXPECT_EQ(all.find(secret), std::string::npos) << "printed a secret: " << all;
        for (const auto& device : m_devices) {
            const auto s = state(device);
            if (std::filesystem::exists(s.file("tokens.json"))) {
                const auto t = s.load_tokens();
                EXPECT_EQ(all.find(t.access_token), std::string::npos) << all;
                EXPECT_EQ(all.find(t.refresh_token), std::string::npos) << all;
            }
            const auto key = account_key_of(device);
            if (!key.empty()) {
                EXPECT_EQ(all.find(key), std::string::npos) << all;
            }
        }
    }

    ServerApi m_api;
    TempDir m_root;
    std::string m_email;
    std::filesystem::path m_password_file;
    std::filesystem::path m_passphrase_file;
    std::filesystem::path m_wrong_passphrase_file;
    std::vector<std::string> m_devices;  // whose secrets to look for in output
};

}  // namespace edgesync::test
