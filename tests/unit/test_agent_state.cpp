// The enrolled agent's state directory: config, tokens and keys round-trip,
// secrets are 0600, and a missing or broken file says which and why.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "agent/agent_state.hpp"
#include "shared/crypto/account_key.hpp"
#include "tests/support/temp_dir.hpp"

namespace edgesync::agent {
namespace {

AgentConfig sample_config(const std::filesystem::path& dir) {
    AgentConfig c;
    c.server = "http://127.0.0.1:8080";
    c.email = "me@example.com";
    c.account_id = "a1";
    c.device_id = "d1";
    c.device_name = "laptop";
    c.sync_dir = dir / "sync";
    c.password_file = dir / "pw";
    return c;
}

unsigned mode_of(const std::filesystem::path& f) {
    struct stat st {};
    EXPECT_EQ(::stat(f.c_str(), &st), 0);
    return st.st_mode & 0777U;
}

TEST(AgentState, EverythingRoundTripsAndSecretsAre0600) {
    test::TempDir tmp;
    AgentState state(tmp.path() / "state");
    EXPECT_FALSE(state.enrolled());
    const auto config = sample_config(tmp.path());
    state.save_config(config);
    EXPECT_TRUE(state.enrolled());
    const auto loaded = state.load_config();
    EXPECT_EQ(loaded.server, config.server);
    EXPECT_EQ(loaded.device_id, config.device_id);
    EXPECT_EQ(loaded.sync_dir, config.sync_dir);
    EXPECT_EQ(loaded.password_file, config.password_file);

    state.save_tokens({"acc", "ref", "a1", "d1", "s1"});
    EXPECT_EQ(state.load_tokens().refresh_token, "ref");

    const auto pair = crypto::generate_box_keypair();
    state.save_device_key(pair);
    EXPECT_EQ(state.load_device_key().public_key, pair.public_key);

    EXPECT_FALSE(state.load_account_key().has_value());
    const auto ak = crypto::generate_account_key();
    state.save_account_key({ak, 3});
    const auto back = state.load_account_key();
    ASSERT_TRUE(back.has_value());
    EXPECT_TRUE(back->key == ak);
    EXPECT_EQ(back->key_version, 3);

    for (const char* name : {"config.json", "tokens.json", "device.key", "account.key"})
        EXPECT_EQ(mode_of(state.file(name)), 0600U) << name;
    EXPECT_EQ(mode_of(state.dir()), 0700U);
}

TEST(AgentState, NotEnrolledSaysSo) {
    test::TempDir tmp;
    AgentState state(tmp.path());
    try {
        (void)state.load_config();
        FAIL() << "loaded a config that does not exist";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("enroll"), std::string::npos) << e.what();
    }
}

TEST(AgentState, ABrokenConfigNamesTheFileAndTheProblem) {
    test::TempDir tmp;
    AgentState state(tmp.path());
    auto config = sample_config(tmp.path());
    config.sync_dir = "relative/dir";
    state.save_config(config);
    try {
        (void)state.load_config();
        FAIL() << "accepted a relative sync_dir";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("sync_dir"), std::string::npos) << e.what();
    }
}

TEST(AgentState, AGroupReadableSecretIsRefused) {
    test::TempDir tmp;
    AgentState state(tmp.path());
    state.save_tokens({"acc", "ref", "a1", "d1", "s1"});
    ASSERT_EQ(::chmod(state.file("tokens.json").c_str(), 0640), 0);
    EXPECT_THROW((void)state.load_tokens(), std::runtime_error);
}

}  // namespace
}  // namespace edgesync::agent
