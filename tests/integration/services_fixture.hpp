#pragma once

// The services of shared/services wired to the REAL Postgres and Redis
// repositories, plus a listener on es:revocations. Shared by the
// tests/integration/test_services_*.cpp suites.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "shared/crypto/pwhash_limits.hpp"
#include "shared/db/pg_pool.hpp"
#include "shared/db/redis_keys.hpp"
#include "shared/db/redis_pool.hpp"
#include "shared/db/redis_subscriber.hpp"
#include "shared/repositories/pg_account_repository.hpp"
#include "shared/repositories/pg_device_repository.hpp"
#include "shared/repositories/redis_session_repository.hpp"
#include "shared/services/account_service.hpp"
#include "shared/services/device_service.hpp"
#include "shared/services/redis_publisher.hpp"
#include "shared/services/revocation.hpp"
#include "shared/services/session_service.hpp"
#include "shared/services/validation.hpp"
#include "shared/util/uuid.hpp"
#include "tests/integration/redis_test_support.hpp"
#include "tests/support/test_env.hpp"

namespace edgesync::test {

// Reads es:revocations through its own subscription (opened before the test
// acts, so nothing published by the test can be missed). Other tests publish
// on the same channel in parallel, so notices are filtered by account id.
class RevocationListener {
  public:
    RevocationListener() : m_sub(redis_endpoint()) {
        m_sub.subscribe({std::string(redis_keys::k_revocations_channel)});
    }

    // Every notice about `account_id` published before this call, in order.
    // Publishes a marker and reads up to it: Redis delivers one channel's
    // messages in the order it executed the PUBLISH commands, and every
    // publish of a finished service call ran before the marker's.
    std::vector<RevocationNotice> drain(const std::string& account_id) {
        const std::string marker_account = "marker-" + new_uuid();
        RedisClient(redis_endpoint())
            .publish(std::string(redis_keys::k_revocations_channel),
                     revocation_message(RevocationNotice::for_account(marker_account)));
        std::vector<RevocationNotice> seen;
        for (;;) {
            // A bound on a hung Redis, not a timing assertion.
            auto m = m_sub.next_message(std::chrono::seconds(15));
            if (!m) {
                ADD_FAILURE() << "marker never arrived on es:revocations";
                return seen;
            }
            auto n = parse_revocation(m->payload);
            if (!n) {
                ADD_FAILURE() << "unreadable notice on es:revocations: " << m->payload;
                continue;
            }
            if (n->account_id == marker_account) return seen;
            if (n->account_id == account_id) seen.push_back(std::move(*n));
        }
    }

  private:
    RedisSubscriber m_sub;
};

class ServicesFixture : public ::testing::Test {
  protected:
    explicit ServicesFixture(int redis_db = 0)
        : m_db(TestDatabase::migrated()),
          m_pg(PgPool::Options{.url = m_db.url(), .size = 4}),
          m_redis_pool(redis_endpoint(redis_db), small_pool()),
          m_account_repo(m_pg),
          m_device_repo(m_pg),
          m_session_repo(m_redis_pool),
          m_publisher(m_redis_pool),
          m_accounts(m_account_repo, m_device_repo, m_session_repo, m_publisher,
                     crypto::minimum_limits()),
          m_devices(m_account_repo, m_device_repo, m_session_repo, m_publisher),
          m_sessions(m_session_repo, m_publisher) {}

    static std::string random_email() { return unique_name("user") + "@example.org"; }
    static std::string password() { return "correct horse battery staple"; }

    Account make_account() {
        auto a = m_accounts.create(random_email(), password());
        EXPECT_TRUE(a.has_value()) << a.error().message;
        return *a;
    }

    Device make_device(const std::string& account_id, const std::string& name = "laptop") {
        auto d = m_device_repo.create({account_id, name, DeviceType::agent, Bytes(32, 0x42)});
        EXPECT_TRUE(d.has_value());
        return *d;
    }

    Session make_session(const std::string& account_id, const std::string& device_id,
                         std::chrono::milliseconds lifetime = std::chrono::hours(1)) {
        Session s;
        s.id = new_uuid();
        s.account_id = account_id;
        s.device_id = device_id;
        s.refresh_hash = "hash-" + s.id;
        s.created_at = now();
        s.expires_at = s.created_at + lifetime;
        s.last_used_at = s.created_at;
        s.ip = "192.0.2.7";
        s.user_agent = "edgesync-services-test";
        m_session_repo.create(s);
        return s;
    }

    bool session_exists(const Session& s) {
        return m_session_repo.get(s.account_id, s.id).has_value();
    }

    TestDatabase m_db;
    PgPool m_pg;
    RedisPool m_redis_pool;
    PgAccountRepository m_account_repo;
    PgDeviceRepository m_device_repo;
    RedisSessionRepository m_session_repo;
    RedisPublisher m_publisher;
    AccountService m_accounts;
    DeviceService m_devices;
    SessionService m_sessions;
    RevocationListener m_revocations;  // subscribed before any test body runs
};

}  // namespace edgesync::test
