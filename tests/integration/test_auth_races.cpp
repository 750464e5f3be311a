// AuthService::login against access being taken away while it runs: the
// Postgres write of a revoke / disable / password change landing after
// login's checks but before its session exists (so the purge that follows it
// in Redis finds nothing to purge). The interleaving is forced through a
// wrapper at the SessionRepository seam; Postgres and Redis are real.

#include <gtest/gtest.h>

#include <functional>
#include <utility>

#include "shared/crypto/password.hpp"
#include "tests/integration/auth_fixture.hpp"

namespace edgesync::test {
namespace {

// Forwards to the real repository; runs `after_create` right after a session
// is stored.
class InterleavingSessions final : public SessionRepository {
  public:
    explicit InterleavingSessions(SessionRepository& real) : m_real(real) {}

    std::function<void()> after_create;

    void create(const Session& s) override {
        m_real.create(s);
        if (after_create) after_create();
    }
    std::optional<Session> get(const std::string& aid, const std::string& sid) override {
        return m_real.get(aid, sid);
    }
    std::vector<Session> list(const std::string& aid) override { return m_real.list(aid); }
    bool rotate_refresh(const Session& current, const std::string& next,
                        Timestamp new_expires_at) override {
        return m_real.rotate_refresh(current, next, new_expires_at);
    }
    bool remove(const std::string& aid, const std::string& sid) override {
        return m_real.remove(aid, sid);
    }
    std::size_t remove_all(const std::string& aid) override { return m_real.remove_all(aid); }
    std::size_t remove_by_device(const std::string& aid, const std::string& did) override {
        return m_real.remove_by_device(aid, did);
    }
    SweepStats sweep() override { return m_real.sweep(); }

  private:
    SessionRepository& m_real;
};

// Forwards to the real repository; runs `after_find_by_email` right after
// login has read the account (before it verifies and rehashes the password).
class InterleavingAccounts final : public AccountRepository {
  public:
    explicit InterleavingAccounts(AccountRepository& real) : m_real(real) {}

    std::function<void()> after_find_by_email;

    std::expected<Account, AccountError> create(const NewAccount& a) override {
        return m_real.create(a);
    }
    std::optional<Account> find_by_id(const std::string& id) override {
        return m_real.find_by_id(id);
    }
    std::optional<Account> find_by_email(const std::string& email) override {
        auto a = m_real.find_by_email(email);
        if (after_find_by_email) std::exchange(after_find_by_email, nullptr)();
        return a;
    }
    std::vector<Account> list(const AccountListQuery& q) override { return m_real.list(q); }
    std::size_t count(const AccountListQuery& q) override { return m_real.count(q); }
    bool set_disabled(const std::string& id, bool disabled) override {
        return m_real.set_disabled(id, disabled);
    }
    bool set_password_hash(const std::string& id, const std::string& hash) override {
        return m_real.set_password_hash(id, hash);
    }
    bool replace_password_hash(const std::string& id, const std::string& expected,
                               const std::string& hash) override {
        return m_real.replace_password_hash(id, expected, hash);
    }
    bool soft_delete(const std::string& id) override { return m_real.soft_delete(id); }
    std::optional<AccountKey> get_key(const std::string& account_id) override {
        return m_real.get_key(account_id);
    }
    bool put_key(const AccountKey& key) override { return m_real.put_key(key); }
    KeyWriteOutcome put_key_if(const AccountKey& key,
                               std::optional<std::int32_t> expected_version) override {
        return m_real.put_key_if(key, expected_version);
    }

  private:
    AccountRepository& m_real;
};

class AuthLoginRace : public AuthFixture {
  protected:
    InterleavingSessions m_interleaving{m_session_repo};
    AuthService m_racing_auth{m_account_repo, m_device_repo, m_interleaving,
                              m_limiter,      m_publisher,   auth::JwtKey(k_auth_test_secret),
                              test_options()};
};

TEST_F(AuthLoginRace, ADeviceRevokedMeanwhileKeepsNoSession) {
    const auto a = make_account();
    const auto d = make_device(a.id);
    m_interleaving.after_create = [&] {
        ASSERT_TRUE(m_device_repo.revoke(a.id, d.id).has_value());
    };
    auto r = request(a.email);
    r.device_id = d.id;
    const auto t = m_racing_auth.login(r);
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.error().code, ServiceErrorCode::revoked);
    EXPECT_TRUE(m_session_repo.list(a.id).empty());
}

TEST_F(AuthLoginRace, AnAccountDisabledMeanwhileKeepsNoSession) {
    const auto a = make_account();
    m_interleaving.after_create = [&] { ASSERT_TRUE(m_account_repo.set_disabled(a.id, true)); };
    const auto t = m_racing_auth.login(request(a.email));
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.error().code, ServiceErrorCode::account_disabled);
    EXPECT_TRUE(m_session_repo.list(a.id).empty());
}

TEST_F(AuthLoginRace, APasswordChangedMeanwhileKeepsNoSession) {
    const auto a = make_account();
    m_interleaving.after_create = [&] {
        ASSERT_TRUE(m_account_repo.set_password_hash(
            a.id, crypto::hash_password("a brand new password", crypto::minimum_limits())));
    };
    const auto t = m_racing_auth.login(request(a.email));
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.error().code, ServiceErrorCode::invalid_credentials);
    EXPECT_TRUE(m_session_repo.list(a.id).empty());
}

// A login whose rehash (new Argon2 limits) races a password change must not
// write the old password back over the new one.
TEST_F(AuthLoginRace, ARehashingLoginNeverUndoesAPasswordChangedMeanwhile) {
    const auto a = make_account();  // hashed with crypto::minimum_limits()
    auto options = test_options();
    options.password_limits.opslimit += 1;  // so login rehashes
    ASSERT_TRUE(crypto::password_needs_rehash(a.password_hash, options.password_limits));
    InterleavingAccounts accounts(m_account_repo);
    AuthService auth(accounts, m_device_repo, m_session_repo, m_limiter, m_publisher,
                     auth::JwtKey(k_auth_test_secret), options);
    const std::string new_password = "a brand new password";
    accounts.after_find_by_email = [&] {
        ASSERT_TRUE(m_account_repo.set_password_hash(
            a.id, crypto::hash_password(new_password, crypto::minimum_limits())));
    };
    const auto t = auth.login(request(a.email));
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.error().code, ServiceErrorCode::invalid_credentials);
    EXPECT_TRUE(m_session_repo.list(a.id).empty());
    const auto stored = m_account_repo.find_by_id(a.id)->password_hash;
    EXPECT_TRUE(crypto::verify_password(stored, new_password));
    EXPECT_FALSE(crypto::verify_password(stored, password()));
}

// Two logins rehashing at once: the one that loses the compare-and-set still
// succeeds, as its password is still the account's.
TEST_F(AuthLoginRace, ALoginWhoseRehashLosesToAnotherRehashStillSucceeds) {
    const auto a = make_account();
    auto options = test_options();
    options.password_limits.opslimit += 1;
    InterleavingAccounts accounts(m_account_repo);
    AuthService auth(accounts, m_device_repo, m_session_repo, m_limiter, m_publisher,
                     auth::JwtKey(k_auth_test_secret), options);
    accounts.after_find_by_email = [&] {
        ASSERT_TRUE(m_account_repo.set_password_hash(
            a.id, crypto::hash_password(password(), options.password_limits)));
    };
    const auto t = auth.login(request(a.email));
    ASSERT_TRUE(t.has_value()) << t.error().message;
    EXPECT_EQ(m_session_repo.list(a.id).size(), 1U);
    EXPECT_TRUE(
        crypto::verify_password(m_account_repo.find_by_id(a.id)->password_hash, password()));
}

TEST_F(AuthLoginRace, WithoutInterferenceTheSameLoginSucceeds) {
    const auto a = make_account();
    const auto t = m_racing_auth.login(request(a.email));
    ASSERT_TRUE(t.has_value()) << t.error().message;
    EXPECT_EQ(m_session_repo.list(a.id).size(), 1U);
}

}  // namespace
}  // namespace edgesync::test
