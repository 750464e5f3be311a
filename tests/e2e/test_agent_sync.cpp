// `edgesync-agent sync --once` between two agents of one account against the
// real server: every kind of file arrives byte-identical with its mode bits,
// edits, deletes and renames follow, concurrent edits keep both versions,
// the server stores neither names nor contents, and `status --json` reports.
#include <pqxx/pqxx>

#include <functional>

#include <csignal>
#include <random>
#include <thread>

#include "shared/config/config.hpp"
#include "shared/db/redis_client.hpp"
#include "shared/db/redis_keys.hpp"
#include "shared/db/redis_subscriber.hpp"
#include "tests/e2e/test_agent_sync_fixture.hpp"
#include "tests/support/test_env.hpp"

namespace edgesync::test {
namespace {

namespace fs = std::filesystem;

std::string binary_content(std::size_t size) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 7 + i / 256) & 0xff);
    return s;
}

TEST_F(AgentSyncTest, EveryKindOfFileArrivesByteIdenticalWithItsModeBits) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(a->file("hello.txt"), "hello world\n");
    write_file(a->file("empty"), "");
    write_file(a->file("bin/all-bytes.dat"), binary_content(300'000));
    write_file(a->file("deep/er/and/deeper/note.md"), "# nested\n");
    write_file(a->file("ünïcødé/日本語 ファイル.txt"), "unicode ✓\n");
    write_file(a->file("run.sh"), "#!/bin/sh\necho hi\n", fs::perms(0755));
    write_file(a->file("secret.key"), "private", fs::perms(0600));

    sync(*a);
    sync(*b);

    const auto expected = tree_of(a->dir());
    EXPECT_EQ(expected.size(), 7U);
    EXPECT_EQ(tree_of(b->dir()), expected);
    EXPECT_EQ(tree_of(b->dir()).at("run.sh").first, 0755U);
    EXPECT_EQ(tree_of(b->dir()).at("secret.key").first, 0600U);
}

TEST_F(AgentSyncTest, EditsDeletesAndRenamesFollow) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(a->file("edit-me.txt"), "first");
    write_file(a->file("delete-me.txt"), "bye");
    write_file(a->file("old/name.txt"), "moving");
    write_file(a->file("chmod-me.sh"), "x", fs::perms(0644));
    sync(*a);
    sync(*b);
    ASSERT_EQ(tree_of(b->dir()), tree_of(a->dir()));

    write_file(a->file("edit-me.txt"), "second, longer than the first");
    fs::remove(a->file("delete-me.txt"));
    fs::create_directories(a->file("new"));
    fs::rename(a->file("old/name.txt"), a->file("new/renamed.txt"));
    fs::permissions(a->file("chmod-me.sh"), fs::perms(0750));
    sync(*a);
    sync(*b);

    const auto tb = tree_of(b->dir());
    EXPECT_EQ(tb, tree_of(a->dir()));
    EXPECT_FALSE(tb.contains("delete-me.txt"));
    EXPECT_FALSE(tb.contains("old/name.txt"));
    EXPECT_EQ(tb.at("new/renamed.txt").second, "moving");
    EXPECT_EQ(tb.at("chmod-me.sh").first, 0750U);

    // And back the other way.
    write_file(b->file("from-beta.txt"), "beta wrote this");
    fs::remove(b->file("edit-me.txt"));
    sync(*b);
    sync(*a);
    EXPECT_EQ(tree_of(a->dir()), tree_of(b->dir()));
    EXPECT_TRUE(tree_of(a->dir()).contains("from-beta.txt"));
    EXPECT_FALSE(fs::exists(a->file("edit-me.txt")));
}

TEST_F(AgentSyncTest, BothEditingTheSameFileKeepsBothVersionsOnBothSides) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(a->file("shared/doc.txt"), "original");
    sync(*a);
    sync(*b);

    write_file(a->file("shared/doc.txt"), "alpha's version");
    write_file(b->file("shared/doc.txt"), "beta's version");
    sync(*a);  // alpha's reaches the server first: it keeps the name
    sync(*b);  // beta meets it: its own version becomes a conflict copy
    sync(*a);

    const auto ta = tree_of(a->dir());
    EXPECT_EQ(ta, tree_of(b->dir()));
    EXPECT_EQ(ta.at("shared/doc.txt").second, "alpha's version");
    const auto copies = conflict_copies(ta);
    ASSERT_EQ(copies.size(), 1U);
    EXPECT_EQ(ta.at(copies[0]).second, "beta's version");
    EXPECT_TRUE(copies[0].starts_with("shared/doc.sync-conflict-")) << copies[0];
    EXPECT_TRUE(copies[0].ends_with(".txt")) << copies[0];
}

TEST_F(AgentSyncTest, BothCreatingTheSameNameKeepsBothFiles) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(a->file("todo.txt"), "alpha's list");
    write_file(b->file("todo.txt"), "beta's list");
    sync(*a);
    sync(*b);
    sync(*a);
    const auto ta = tree_of(a->dir());
    EXPECT_EQ(ta, tree_of(b->dir()));
    EXPECT_EQ(ta.at("todo.txt").second, "alpha's list");
    const auto copies = conflict_copies(ta);
    ASSERT_EQ(copies.size(), 1U);
    EXPECT_EQ(ta.at(copies[0]).second, "beta's list");
}

TEST_F(AgentSyncTest, ADeleteRacingAnEditLosesToTheEdit) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(a->file("keep.txt"), "v1");
    sync(*a);
    sync(*b);

    fs::remove(a->file("keep.txt"));
    write_file(b->file("keep.txt"), "v2 edited on beta");
    sync(*a);  // the delete reaches the server first
    sync(*b);  // beta's edit beats it
    sync(*a);

    EXPECT_EQ(read_all(a->file("keep.txt")), "v2 edited on beta");
    EXPECT_EQ(tree_of(a->dir()), tree_of(b->dir()));
}

// Every string a Redis reply holds (nested arrays flattened).
void collect_strings(const RedisReply& r, std::vector<std::string>& out) {
    if (r.is_array()) {
        for (const auto& e : r.as_array()) collect_strings(e, out);
    } else if (r.is_string() || r.is_status()) {
        out.push_back(r.as_string());
    }
}

// Every key of the test Redis and every value it holds, whatever its type.
std::vector<std::string> everything_in_redis() {
    RedisClient redis(parse_redis_url(test::redis_url()));
    std::vector<std::string> out;
    std::string cursor = "0";
    do {
        const auto page = redis.command({"SCAN", cursor, "COUNT", "1000"}).as_array();
        cursor = page.at(0).as_string();
        for (const auto& key : page.at(1).as_string_array()) {
            out.push_back(key);
            const auto type = redis.command({"TYPE", key}).as_string();
            std::vector<std::string> read;
            if (type == "string") read = {"GET", key};
            else if (type == "hash") read = {"HGETALL", key};
            else if (type == "list") read = {"LRANGE", key, "0", "-1"};
            else if (type == "set") read = {"SMEMBERS", key};
            else if (type == "zset") read = {"ZRANGE", key, "0", "-1", "WITHSCORES"};
            else if (type == "stream") read = {"XRANGE", key, "-", "+"};
            if (!read.empty()) collect_strings(redis.command(read), out);
        }
    } while (cursor != "0");
    return out;
}

TEST_F(AgentSyncTest, TheServerStoresAndPublishesNeitherFileNamesNorContents) {
    const auto a = enroll("alpha");
    const std::vector<std::pair<std::string, std::string>> files{
        {"Quarterly-Report-Zebra.txt", "TOPSECRET-CONTENT-ALPHA"},
        {"plans/Secret-Project-Okapi.md", "TOPSECRET-CONTENT-BRAVO"},
        {"tiny", "TOPSECRET-CONTENT-CHARLIE"}};
    // Pub/sub leaves nothing to scan afterwards: listen during the sync.
    RedisSubscriber live(parse_redis_url(test::redis_url()));
    live.psubscribe({"es:account:*"});
    for (const auto& [path, content] : files) write_file(a->file(path), content);
    sync(*a);
    fs::remove(a->file("tiny"));
    sync(*a);

    pqxx::connection conn(m_api.db().url());
    pqxx::nontransaction tx(conn);
    std::vector<std::string> stored;
    for (const auto& row : tx.exec("SELECT key, state, nonce FROM encrypted_states")) {
        stored.push_back(row[0].as<std::string>());
        for (int col : {1, 2}) {
            const pqxx::binarystring blob(row[col]);
            stored.emplace_back(reinterpret_cast<const char*>(blob.data()), blob.size());
        }
    }
    ASSERT_EQ(stored.size(), 9U);  // three states (one a tombstone), three fields each
    for (const auto& row : tx.exec("SELECT state_key, payload::text FROM sync_events")) {
        stored.push_back(row[0].as<std::string>());
        stored.push_back(row[1].as<std::string>());
    }
    ASSERT_EQ(stored.size(), 9U + 2 * 4);

    // Redis: every key and value, and every live message of this account.
    const auto in_redis = everything_in_redis();
    EXPECT_FALSE(in_redis.empty());
    stored.insert(stored.end(), in_redis.begin(), in_redis.end());
    const std::string channel = redis_keys::account_channel(m_owner.account_id);
    int published = 0;
    // The server publishes before it answers, so the messages are there; the
    // wait only bounds a broken server.
    for (auto m = live.next_message(std::chrono::seconds(10)); m;
         m = live.next_message(std::chrono::milliseconds(500))) {
        stored.push_back(m->channel);
        stored.push_back(m->payload);
        if (m->channel == channel) ++published;
    }
    EXPECT_GE(published, 4) << "every state change is announced on " << channel;

    for (const auto& [path, content] : files) {
        for (const auto& needle :
             {path, content, fs::path(path).filename().string(), std::string("plans")}) {
            for (const auto& s : stored)
                EXPECT_EQ(s.find(needle), std::string::npos) << "found '" << needle << "'";
        }
    }
}

TEST_F(AgentSyncTest, StatusJsonReportsTheLastPassAndThatNoAgentRuns) {
    const auto a = enroll("alpha");
    const auto before = status_json(*a);
    ASSERT_TRUE(before.is_object());
    EXPECT_FALSE(before["running"].get<bool>());
    EXPECT_TRUE(before["last_sync"].is_null());

    write_file(a->file("one.txt"), "1");
    write_file(a->file("two.txt"), "22");
    sync(*a);
    const auto after = status_json(*a);
    ASSERT_TRUE(after.is_object());
    EXPECT_FALSE(after["running"].get<bool>());
    EXPECT_EQ(after["state"], "stopped");
    EXPECT_TRUE(after["last_sync"].is_string());
    EXPECT_EQ(after["files"], 2);
    EXPECT_EQ(after["pending_up"], 0);
    EXPECT_EQ(after["pending_down"], 0);
    EXPECT_EQ(after["conflicts"], 0);
    EXPECT_GT(after["bytes_up"].get<std::int64_t>(), 0);
    EXPECT_TRUE(after["skipped_too_large"].empty());
    EXPECT_TRUE(after["last_error"].is_null());
    EXPECT_EQ(after["device_id"], a->device_id);

    const auto text = agent_run(*a, {"status"});
    EXPECT_EQ(text.exit_code, 0) << describe(text);
    EXPECT_NE(text.out.find("not running"), std::string::npos) << text.out;
}

TEST_F(AgentSyncTest, KilledAtRandomMomentsItConvergesWithoutPartialFilesOrFalseConflicts) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    for (int i = 0; i < 300; ++i)
        write_file(a->file("from-a/" + std::to_string(i % 7) + "/f" + std::to_string(i)),
                   binary_content(2000 + static_cast<std::size_t>(i) * 50));
    sync(*a);
    for (int i = 0; i < 100; ++i)
        write_file(b->file("from-b/f" + std::to_string(i)), "beta file " + std::to_string(i));

    const auto seed = std::random_device{}();
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> delay_ms(50, 1500);
    for (int round = 0; round < 6; ++round) {
        Process p(agent_command(*b, {"sync", "--once"}));
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
        p.send_signal(SIGKILL);
        (void)p.wait();
    }
    sync(*b);
    sync(*a);

    const auto ta = tree_of(a->dir());
    EXPECT_EQ(ta.size(), 400U) << "seed " << seed;
    EXPECT_EQ(ta, tree_of(b->dir())) << "seed " << seed;
    EXPECT_TRUE(conflict_copies(ta).empty()) << "seed " << seed;
    for (const auto& e : fs::recursive_directory_iterator(b->dir()))
        EXPECT_EQ(e.path().filename().string().find(".edgesync-tmp-"), std::string::npos)
            << e.path() << " seed " << seed;
}

class AgentSyncSmallBlobs : public AgentSyncTest {
  protected:
    AgentSyncSmallBlobs() : AgentSyncTest({{"MAX_BLOB_BYTES", "65536"}}) {}
};

TEST_F(AgentSyncSmallBlobs, AFileOverTheBlobLimitIsSkippedAndListedInStatus) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(a->file("big.bin"), binary_content(100'000));
    write_file(a->file("small.txt"), "fits");
    const auto r = agent_run(*a, {"sync", "--once"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.err.find("big.bin"), std::string::npos) << r.err;
    sync(*b);

    EXPECT_TRUE(fs::exists(b->file("small.txt")));
    EXPECT_FALSE(fs::exists(b->file("big.bin")));
    const auto s = status_json(*a);
    ASSERT_TRUE(s.is_object());
    EXPECT_EQ(s["skipped_too_large"], nlohmann::json::array({"big.bin"}));
}

class AgentSyncSmallPages : public AgentSyncTest {
  protected:
    AgentSyncSmallPages() : AgentSyncTest({{"MAX_BATCH_ITEMS", "64"}, {"MAX_PAGE_ITEMS", "50"}}) {}
};

TEST_F(AgentSyncSmallPages, AnAgentOfflineDuring500ChangesCatchesUp) {
    const auto a = enroll("alpha");
    const auto b = enroll("beta");
    write_file(a->file("seed.txt"), "seed");
    sync(*a);
    sync(*b);
    // 500 changes while beta is offline (480 new files, then 19 of them
    // edited and one file deleted), pushed in batches of at most 64 and
    // pulled in pages of at most 50.
    for (int i = 0; i < 480; ++i)
        write_file(a->file("many/" + std::to_string(i % 10) + "/file-" + std::to_string(i)),
                   "content " + std::to_string(i * 31));
    sync(*a);
    for (int i = 0; i < 19; ++i)
        write_file(a->file("many/" + std::to_string(i % 10) + "/file-" + std::to_string(i)),
                   "edited " + std::to_string(i));
    fs::remove(a->file("seed.txt"));
    sync(*a);

    sync(*b);
    const auto tb = tree_of(b->dir());
    EXPECT_EQ(tb.size(), 480U);
    EXPECT_EQ(tb, tree_of(a->dir()));
    EXPECT_EQ(tb.at("many/3/file-3").second, "edited 3");
    const auto s = status_json(*b);
    EXPECT_EQ(s["files"], 480) << s.dump();
}

}  // namespace
}  // namespace edgesync::test
