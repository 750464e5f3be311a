#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "shared/db/pg_pool.hpp"
#include "shared/repositories/pg_account_repository.hpp"
#include "shared/repositories/pg_device_repository.hpp"
#include "shared/repositories/pg_event_repository.hpp"
#include "shared/repositories/pg_state_repository.hpp"
#include "shared/util/uuid.hpp"
#include "tests/support/test_env.hpp"

namespace edgesync::test {

// A private migrated database, a pool on it and the four Postgres
// repositories, plus helpers to make accounts, devices and state writes.
class PgRepositoryFixture : public ::testing::Test {
protected:
    explicit PgRepositoryFixture(std::size_t pool_size = 8)
        : m_db(TestDatabase::migrated()),
          m_pool(PgPool::Options{.url = m_db.url(), .size = pool_size}),
          m_accounts(m_pool),
          m_devices(m_pool),
          m_states(m_pool),
          m_events(m_pool) {}

    Account make_account(std::optional<std::int64_t> quota = std::nullopt,
                         const std::string& email = "") {
        NewAccount a;
        a.email = email.empty() ? unique_name("user") + "@example.org" : email;
        a.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$fake";
        a.quota_bytes = quota;
        auto created = m_accounts.create(a);
        EXPECT_TRUE(created.has_value());
        return *created;
    }

    Device make_device(const std::string& account_id, const std::string& name = "laptop") {
        NewDevice d;
        d.account_id = account_id;
        d.name = name;
        d.device_type = DeviceType::desktop;
        d.public_key = Bytes(32, 0x42);
        auto created = m_devices.create(d);
        EXPECT_TRUE(created.has_value());
        return *created;
    }

    static StateWrite put(const std::string& account, const std::string& device,
                          const std::string& key, Precondition pre, const std::string& blob) {
        return StateWrite{account, device, key, pre, PutState{to_bytes(blob), Bytes(24, 0x07)}};
    }
    static StateWrite del(const std::string& account, const std::string& device,
                          const std::string& key, std::int64_t version) {
        return StateWrite{account, device, key, Precondition::if_version(version), DeleteState{}};
    }

    TestDatabase m_db;
    PgPool m_pool;
    PgAccountRepository m_accounts;
    PgDeviceRepository m_devices;
    PgStateRepository m_states;
    PgEventRepository m_events;
};

}  // namespace edgesync::test
