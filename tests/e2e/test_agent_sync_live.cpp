// Two agents `run`ning at once against the real server: both editing the
// same file at the same moment keeps every version on both (one as a conflict
// copy), and a revoked device can no longer read anything new: its saved
// tokens, a new login as that device and the agent itself are all refused, and
// a file written afterwards never reaches its folder.
#include <csignal>
#include <set>
#include <thread>

#include "agent/exit_codes.hpp"
#include "agent/file_writer.hpp"
#include "tests/e2e/test_agent_sync_fixture.hpp"

namespace edgesync::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Polls until `done` holds or `limit` passes (the limit only bounds a failing
// test; nothing is asserted about how long it took).
template <typename Pred>
bool eventually(Pred done, std::chrono::milliseconds limit = 30s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (done()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return done();
}

// Replaces a file in one step, the way editors save (written beside the sync
// folder, then renamed in), so no agent sees a half-written version.
void replace_file(const TestAgent& a, const std::string& rel, std::string_view content) {
    const auto staged = a.home.path() / "staged";
    write_file(staged, content);
    fs::rename(staged, a.file(rel));
}

std::set<std::string> contents_of(const Tree& t) {
    std::set<std::string> out;
    for (const auto& [path, v] : t) out.insert(v.second);
    return out;
}

class AgentLive : public AgentSyncTest {
  protected:
    std::unique_ptr<Process> start(const TestAgent& a) {
        auto p = std::make_unique<Process>(agent_command(a, {"run"}));
        EXPECT_TRUE(p->wait_for_output(
            [](const std::string&, const std::string& err) {
                return err.find("in sync:") != std::string::npos;
            },
            20s))
            << a.name << " did not finish its first pass";
        return p;
    }

    static void stop(Process& p) {
        p.send_signal(SIGTERM);
        const auto r = p.wait();
        EXPECT_EQ(r.exit_code, 0) << describe(r);
    }
};

TEST_F(AgentLive, BothEditingTheSameFileAtOnceKeepsEveryVersionOnBothAgents) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(a->file("notes/doc.txt"), "original");
    auto pa = start(*a);
    auto pb = start(*b);
    ASSERT_TRUE(eventually([&] { return read_all(b->file("notes/doc.txt")) == "original"; }));

    // Three rounds, one right after the other (several conflicts on one file
    // within the same second); each waits only until both agents agree. A
    // round's winner is edited by the next round; its loser is a conflict
    // copy, which must outlive every later round.
    std::set<std::string> losers;
    std::string winner;
    for (int round = 0; round < 3; ++round) {
        const auto va = "alpha's edit " + std::to_string(round);
        const auto vb = "beta's edit " + std::to_string(round);
        replace_file(*a, "notes/doc.txt", va);
        replace_file(*b, "notes/doc.txt", vb);
        const bool converged = eventually([&] {
            const auto ta = tree_of(a->dir());
            const auto c = contents_of(ta);
            return c.contains(va) && c.contains(vb) && ta == tree_of(b->dir());
        });
        ASSERT_TRUE(converged) << "round " << round << ": alpha "
                               << ::testing::PrintToString(tree_of(a->dir())) << " beta "
                               << ::testing::PrintToString(tree_of(b->dir()));
        winner = read_all(a->file("notes/doc.txt"));
        ASSERT_TRUE(winner == va || winner == vb) << winner;
        losers.insert(winner == va ? vb : va);
    }
    stop(*pa);
    stop(*pb);

    const auto ta = tree_of(a->dir());
    EXPECT_EQ(ta, tree_of(b->dir()));
    EXPECT_EQ(ta.at("notes/doc.txt").second, winner);
    // Each round's loser is one conflict copy beside the file, and nothing
    // else was copied.
    const auto copies = conflict_copies(ta);
    EXPECT_EQ(copies.size(), 3U) << ::testing::PrintToString(copies);
    std::set<std::string> copied;
    for (const auto& c : copies) {
        EXPECT_TRUE(c.starts_with("notes/doc.sync-conflict-")) << c;
        copied.insert(ta.at(c).second);
    }
    EXPECT_EQ(copied, losers);
    EXPECT_EQ(ta.size(), 4U);
}

TEST_F(AgentSyncTest, ANewConflictCopyNeverOverwritesAnEarlierOne) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(a->file("doc.txt"), "original");
    sync(*a);
    sync(*b);
    // Beta already has conflict copies of doc.txt with every name its next
    // conflicts in the coming minute could get, synced everywhere.
    const auto now = std::chrono::system_clock::now();
    std::map<std::string, std::string> earlier;
    for (int s = 0; s < 60; ++s) {
        const auto name =
            agent::conflict_copy_name("doc.txt", now + std::chrono::seconds(s), b->device_id);
        earlier[name] = "earlier conflict copy " + std::to_string(s);
        write_file(b->file(name), earlier[name]);
    }
    sync(*b);
    sync(*a);

    write_file(a->file("doc.txt"), "alpha's version");
    write_file(b->file("doc.txt"), "beta's version");
    sync(*a);
    sync(*b);  // beta loses: its version needs a new copy
    sync(*a);

    const auto ta = tree_of(a->dir());
    EXPECT_EQ(ta, tree_of(b->dir()));
    EXPECT_EQ(ta.at("doc.txt").second, "alpha's version");
    for (const auto& [name, content] : earlier) {
        ASSERT_TRUE(ta.contains(name)) << name;
        EXPECT_EQ(ta.at(name).second, content) << name << " was overwritten";
    }
    EXPECT_TRUE(contents_of(ta).contains("beta's version"));
    EXPECT_EQ(ta.size(), earlier.size() + 2);
}

TEST_F(AgentLive, ARevokedDeviceCannotReadStatesWrittenAfterItsRevocation) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(a->file("before.txt"), "written before the revocation");
    sync(*a);
    auto pb = start(*b);
    ASSERT_EQ(read_all(b->file("before.txt")), "written before the revocation");

    const auto revoke =
        m_api.call("DELETE", "/v1/devices/" + b->device_id, nullptr, m_owner.access);
    ASSERT_EQ(revoke.status, 204) << revoke.describe();
    const auto done = pb->wait();
    EXPECT_EQ(done.exit_code, agent::k_exit_revoked) << describe(done);

    write_file(a->file("after.txt"), "written after the revocation");
    sync(*a);

    // What beta has saved no longer opens anything: the access token is
    // refused, the refresh token too, and a new login as that device as well.
    const auto tokens = agent::AgentState(b->state_dir()).load_tokens();
    const auto states = m_api.call("GET", "/v1/states?after=0", nullptr, tokens.access_token);
    EXPECT_EQ(states.status, 401) << states.describe();
    EXPECT_EQ(states.body.find("states"), std::string::npos) << states.describe();
    const auto refresh =
        m_api.call("POST", "/v1/auth/refresh", {{"refresh_token", tokens.refresh_token}});
    EXPECT_EQ(refresh.status, 401) << refresh.describe();
    const auto login = m_api.call("POST", "/v1/auth/login",
                                  {{"email", m_owner.email},
                                   {"password", std::string(k_api_password)},
                                   {"device_id", b->device_id}});
    EXPECT_EQ(login.status, 403) << login.describe();
    const auto body = nlohmann::json::parse(login.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << login.describe();
    EXPECT_EQ(body["error"]["code"], "revoked") << login.describe();

    // The agent, run again either way, stops with its code and gets nothing.
    const auto once = agent_run(*b, {"sync", "--once"});
    EXPECT_EQ(once.exit_code, agent::k_exit_revoked) << describe(once);
    const auto run = agent_run(*b, {"run"});
    EXPECT_EQ(run.exit_code, agent::k_exit_revoked) << describe(run);
    EXPECT_FALSE(fs::exists(b->file("after.txt")));
    EXPECT_EQ(tree_of(b->dir()).size(), 1U);
}

}  // namespace
}  // namespace edgesync::test
