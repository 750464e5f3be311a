// The agent's typed state API against the real server: preconditions come
// back as WriteConflict with the current state, batches are all or nothing,
// the feed pages with tombstones, and blobs round-trip byte for byte.
#include <gtest/gtest.h>

#include <variant>

#include "agent/api_client.hpp"
#include "agent/state_api.hpp"
#include "tests/e2e/server_api_fixture.hpp"

namespace edgesync::test {
namespace {

using agent::ApiClient;
using agent::BatchWrite;
using agent::StateApi;
using agent::WriteConflict;
using agent::WriteDone;

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }
Bytes nonce() { return Bytes(24, 0x5a); }

class AgentStateApi : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto l = m_api.new_account("agent-states");
        agent::HttpClient http;
        const std::string base = "http://" + m_api.host() + ":" + std::to_string(m_api.port());
        m_client.emplace(base, ApiClient::login(http, base, l.email, std::string(k_api_password)));
        m_states.emplace(*m_client);
    }

    ServerApi m_api;
    std::optional<ApiClient> m_client;
    std::optional<StateApi> m_states;
};

TEST_F(AgentStateApi, CreateUpdateAndReadBackByteForByte) {
    Bytes blob(256);
    for (std::size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<std::uint8_t>(i);
    const auto created = m_states->put("k1", blob, nonce(), std::nullopt);
    ASSERT_TRUE(std::holds_alternative<WriteDone>(created));
    EXPECT_EQ(std::get<WriteDone>(created).version, 1);

    const auto updated = m_states->put("k1", bytes_of("v2"), nonce(), 1);
    ASSERT_TRUE(std::holds_alternative<WriteDone>(updated));
    EXPECT_EQ(std::get<WriteDone>(updated).version, 2);

    const auto got = m_states->get("k1");
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->state, bytes_of("v2"));
    EXPECT_EQ(got->nonce, nonce());
    EXPECT_EQ(got->version, 2);
    EXPECT_FALSE(got->deleted);
    EXPECT_FALSE(m_states->get("never-written").has_value());
}

TEST_F(AgentStateApi, StalePreconditionsComeBackAsConflictsWithTheCurrentState) {
    ASSERT_TRUE(std::holds_alternative<WriteDone>(
        m_states->put("k", bytes_of("one"), nonce(), std::nullopt)));
    const auto again = m_states->put("k", bytes_of("two"), nonce(), std::nullopt);
    ASSERT_TRUE(std::holds_alternative<WriteConflict>(again));
    const auto& c = std::get<WriteConflict>(again);
    EXPECT_EQ(c.code, "precondition_failed");
    ASSERT_TRUE(c.current.has_value());
    EXPECT_EQ(c.current->state, bytes_of("one"));

    const auto stale = m_states->put("k", bytes_of("three"), nonce(), 7);
    ASSERT_TRUE(std::holds_alternative<WriteConflict>(stale));
    EXPECT_EQ(std::get<WriteConflict>(stale).current->version, 1);
}

TEST_F(AgentStateApi, DeleteLeavesATombstoneThatGetAndTheFeedShow) {
    ASSERT_TRUE(std::holds_alternative<WriteDone>(
        m_states->put("gone", bytes_of("x"), nonce(), std::nullopt)));
    const auto removed = m_states->remove("gone", 1);
    ASSERT_TRUE(std::holds_alternative<WriteDone>(removed));
    const auto got = m_states->get("gone");
    ASSERT_TRUE(got.has_value());
    EXPECT_TRUE(got->deleted);
    EXPECT_TRUE(got->state.empty());

    const auto page = m_states->changes(0, 100);
    ASSERT_EQ(page.states.size(), 1U);
    EXPECT_TRUE(page.states[0].deleted);
    EXPECT_FALSE(page.more);
}

TEST_F(AgentStateApi, ABatchIsAllOrNothingAndNamesTheFailingWrite) {
    ASSERT_TRUE(std::holds_alternative<WriteDone>(
        m_states->put("taken", bytes_of("x"), nonce(), std::nullopt)));
    std::vector<BatchWrite> writes{{"a", false, std::nullopt, bytes_of("a"), nonce()},
                                   {"taken", false, std::nullopt, bytes_of("y"), nonce()}};
    const auto failed = m_states->batch(writes);
    ASSERT_TRUE(failed.failed_index.has_value());
    EXPECT_EQ(*failed.failed_index, 1U);
    EXPECT_EQ(failed.conflict.code, "precondition_failed");
    EXPECT_FALSE(m_states->get("a").has_value());  // nothing applied

    writes[1].if_match = 1;
    const auto ok = m_states->batch(writes);
    EXPECT_FALSE(ok.failed_index.has_value());
    ASSERT_EQ(ok.results.size(), 2U);
    EXPECT_EQ(ok.results[1].version, 2);
}

TEST_F(AgentStateApi, TheFeedPagesWithNextAndMore) {
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(std::holds_alternative<WriteDone>(
            m_states->put("p" + std::to_string(i), bytes_of("x"), nonce(), std::nullopt)));
    std::int64_t after = 0;
    std::size_t seen = 0;
    for (int round = 0; round < 10; ++round) {
        const auto page = m_states->changes(after, 2);
        seen += page.states.size();
        after = page.next;
        if (!page.more) break;
    }
    EXPECT_EQ(seen, 5U);
    const auto limits = m_states->limits();
    EXPECT_GT(limits.max_blob_bytes, 0U);
    EXPECT_GT(limits.max_batch_items, 0U);
}

}  // namespace
}  // namespace edgesync::test
