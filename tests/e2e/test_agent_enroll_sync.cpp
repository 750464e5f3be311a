// Devices enrolled with the real `enroll` (the first with a recovery
// passphrase, a second through that passphrase, a third through `approve`)
// hold one account key for real: what one writes, the others read, both ways.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "agent/exit_codes.hpp"
#include "tests/e2e/agent_enroll_fixture.hpp"

namespace edgesync::test {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_text(const fs::path& p, std::string_view content) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
}

class AgentEnrollSync : public AgentEnrollFixture {
  protected:
    void sync(const std::string& device) {
        const auto r = agent(device, {"sync", "--once"});
        ASSERT_EQ(r.exit_code, 0) << device << ": " << describe(r);
    }
};

TEST_F(AgentEnrollSync, DevicesEnrolledByPassphraseAndByApprovalSyncWithTheFirst) {
    ASSERT_EQ(enroll_with_passphrase("first").exit_code, 0);
    const auto second = enroll_with_passphrase("second");
    ASSERT_EQ(second.exit_code, 0) << describe(second);
    const auto pending = enroll("third");
    ASSERT_EQ(pending.exit_code, agent::k_exit_awaiting_approval) << describe(pending);
    const auto approve =
        agent("first", {"approve", state("third").load_config().device_id, "--yes"});
    ASSERT_EQ(approve.exit_code, 0) << describe(approve);
    const auto third = enroll("third");
    ASSERT_EQ(third.exit_code, 0) << describe(third);

    write_text(sync_dir("first") / "from-first/report.txt", "written on the first device");
    sync("first");
    sync("second");
    sync("third");
    EXPECT_EQ(read_text(sync_dir("second") / "from-first/report.txt"),
              "written on the first device");
    EXPECT_EQ(read_text(sync_dir("third") / "from-first/report.txt"),
              "written on the first device");

    write_text(sync_dir("second") / "from-second.txt", "by passphrase");
    write_text(sync_dir("third") / "from-third.txt", "by approval");
    sync("second");
    sync("third");
    sync("first");
    EXPECT_EQ(read_text(sync_dir("first") / "from-second.txt"), "by passphrase");
    EXPECT_EQ(read_text(sync_dir("first") / "from-third.txt"), "by approval");
    sync("second");
    EXPECT_EQ(read_text(sync_dir("second") / "from-third.txt"), "by approval");
}

}  // namespace
}  // namespace edgesync::test
