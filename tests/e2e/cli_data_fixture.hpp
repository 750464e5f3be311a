#pragma once

// Shared by tests/e2e/test_cli_{state,events,presence,doctor}.cpp: the built
// `edgesync` run against a private migrated database and the test Redis, with
// data seeded through the real repositories.

#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "shared/db/pg_pool.hpp"
#include "shared/db/redis_keys.hpp"
#include "shared/db/redis_pool.hpp"
#include "shared/repositories/pg_account_repository.hpp"
#include "shared/repositories/pg_device_repository.hpp"
#include "shared/repositories/pg_event_repository.hpp"
#include "shared/repositories/pg_state_repository.hpp"
#include "shared/repositories/redis_presence_repository.hpp"
#include "tests/support/run_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"

namespace edgesync::test {

class CliAdminTest : public ::testing::Test {
  protected:
    CliAdminTest()
        : m_db(TestDatabase::migrated()),
          m_pool(PgPool::Options{.url = m_db.url(), .size = 2}),
          m_accounts(m_pool),
          m_devices(m_pool),
          m_states(m_pool),
          m_events(m_pool),
          m_redis(parse_redis_url(redis_url()), small_redis_pool()),
          m_presence(m_redis) {}

    // `edgesync ARGS` as a script would run it: in a scratch directory (no
    // stray .env), DATABASE_URL and REDIS_URL pointing at this test's
    // services, and none of the settings that change output inherited.
    ProcessOptions options(std::vector<std::string> args, ProcessOptions o = {}) const {
        o.args.insert(o.args.begin(), EDGESYNC_CLI_BINARY);
        o.args.insert(o.args.end(), args.begin(), args.end());
        o.env.try_emplace("DATABASE_URL", m_db.url());
        o.env.try_emplace("REDIS_URL", redis_url());
        for (const char* name : {"MIGRATIONS_PATH", "JWT_SECRET", "NO_COLOR", "CLICOLOR_FORCE"})
            if (!o.env.contains(name)) o.unset_env.emplace_back(name);
        if (!o.cwd) o.cwd = m_cwd.path();
        return o;
    }
    ProcessResult run(std::vector<std::string> args, ProcessOptions o = {}) const {
        return run_process(options(std::move(args), std::move(o)));
    }
    ProcessResult run_ok(std::vector<std::string> args, ProcessOptions o = {}) const {
        auto r = run(std::move(args), std::move(o));
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return r;
    }

    Account make_account(const std::string& email = "") {
        auto created = m_accounts.create(
            {.email = email.empty() ? unique_name("user") + "@example.org" : email,
             .password_hash = "$argon2id$v=19$m=65536,t=2,p=1$fake",
             .quota_bytes = std::nullopt});
        if (!created) throw std::runtime_error("cannot create a test account");
        return *created;
    }
    Device make_device(const std::string& account_id, const std::string& name,
                       DeviceType type = DeviceType::desktop) {
        auto created = m_devices.create({.account_id = account_id,
                                         .name = name,
                                         .device_type = type,
                                         .public_key = Bytes(32, 0x42)});
        if (!created) throw std::runtime_error("cannot create a test device");
        return *created;
    }
    // Creates `key` or writes its next version; returns the result.
    WriteResult put(const std::string& account, const std::string& device, const std::string& key,
                    const std::string& blob, Bytes nonce = Bytes(24, 0x07)) {
        const auto current = m_states.get(account, key);
        const auto pre = current && !current->deleted() ? Precondition::if_version(current->version)
                                                        : Precondition::create();
        const auto r =
            m_states.write({account, device, key, pre, PutState{to_bytes(blob), std::move(nonce)}});
        if (!r) throw std::runtime_error("test write rejected");
        return *r;
    }
    WriteResult remove(const std::string& account, const std::string& device,
                       const std::string& key) {
        const auto current = m_states.get(account, key);
        if (!current) throw std::runtime_error("no such key to delete");
        const auto r = m_states.write(
            {account, device, key, Precondition::if_version(current->version), DeleteState{}});
        if (!r) throw std::runtime_error("test delete rejected");
        return *r;
    }
    // What a server does after a commit: a hint on the account's channel.
    void publish(const std::string& account, const WriteResult& w, const std::string& key,
                 const std::string& device) {
        auto redis = m_redis.acquire();
        redis->publish(redis_keys::account_channel(account),
                       R"({"seq":)" + std::to_string(w.seq) + R"(,"key":")" + key +
                           R"(","device":")" + device + R"("})");
    }

    static RedisPool::Options small_redis_pool() {
        RedisPool::Options o;
        o.max_size = 2;
        return o;
    }

    TestDatabase m_db;
    TempDir m_cwd;
    PgPool m_pool;
    PgAccountRepository m_accounts;
    PgDeviceRepository m_devices;
    PgStateRepository m_states;
    PgEventRepository m_events;
    RedisPool m_redis;
    RedisPresenceRepository m_presence;
};

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// A table as format_table prints it: every row's cells start where the
// header's columns start (cells here never contain two spaces in a row).
inline void expect_aligned(const std::vector<std::string>& table) {
    ASSERT_FALSE(table.empty());
    std::vector<std::size_t> starts{0};
    for (std::size_t i = 2; i < table[0].size(); ++i)
        if (table[0][i] != ' ' && table[0][i - 1] == ' ' && table[0][i - 2] == ' ')
            starts.push_back(i);
    for (const auto& row : table)
        for (const auto start : starts) {
            if (start >= row.size()) continue;  // an empty last cell
            EXPECT_NE(row[start], ' ') << "column at " << start << " in: " << row;
            if (start > 0) {
                EXPECT_EQ(row[start - 1], ' ') << "column at " << start << " in: " << row;
            }
        }
}

// "2026-11-25 09:24:39Z", as tables print times.
inline const std::string k_time_re = R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ)";

}  // namespace edgesync::test
