#include "tests/support/test_env.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <sodium.h>

#include <algorithm>
#include <utility>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "shared/migrate/migrator.hpp"

namespace edgesync::test {
namespace {

std::string env_or_throw(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0')
        throw std::runtime_error(std::string(name) +
                                 " is not set: run the tests through scripts/test.sh, or "
                                 "`eval \"$(scripts/services.sh env)\"` first");
    return v;
}

std::vector<std::filesystem::path> up_files() {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(migrations_dir()))
        if (e.path().filename().string().ends_with(".up.sql")) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// FNV-1a over file names and contents: a new or changed migration gets a new
// template. The runner's own version is mixed in too, so a runner change that
// alters what it leaves behind rebuilds the template.
std::string migrations_fingerprint() {
    std::uint64_t h = 1469598103934665603ULL ^ 2;  // bump when the runner changes
    auto mix = [&](const std::string& s) {
        for (unsigned char c : s) {
            h ^= c;
            h *= 1099511628211ULL;
        }
    };
    for (const auto& f : up_files()) {
        mix(f.filename().string());
        mix(read_file(f));
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

void ensure_template(const std::string& tmpl) {
    pqxx::connection admin(database_url());
    pqxx::nontransaction tx(admin);
    // Serialise template creation between concurrently running test processes.
    tx.exec("SELECT pg_advisory_lock(727274)");
    const bool exists =
        !tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", tmpl).empty();
    if (!exists) {
        const std::string building = tmpl + "_building";
        tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(building) + " WITH (FORCE)");
        tx.exec("CREATE DATABASE " + tx.quote_name(building));
        // The real runner, so test databases carry schema_migrations exactly as
        // `edgesync migrate up` leaves it.
        migrate::Migrator(migrate::Migrator::Options{
                              .database_url = with_database(database_url(), building),
                              .dir = migrations_dir()})
            .up();
        tx.exec("ALTER DATABASE " + tx.quote_name(building) + " RENAME TO " + tx.quote_name(tmpl));
    }
    tx.exec("SELECT pg_advisory_unlock(727274)");
}

std::string unique_suffix() {
    unsigned char b[6];
    randombytes_buf(b, sizeof b);
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : b) {
        out.push_back(k_hex[c >> 4]);
        out.push_back(k_hex[c & 0x0F]);
    }
    return out;
}

}  // namespace

std::string database_url() { return env_or_throw("DATABASE_URL"); }
std::string redis_url() { return env_or_throw("REDIS_URL"); }
std::filesystem::path source_dir() { return EDGESYNC_SOURCE_DIR; }
std::filesystem::path migrations_dir() { return source_dir() / "migrations"; }

std::string unique_name(const std::string& prefix) {
    if (sodium_init() < 0) throw std::runtime_error("sodium_init failed");
    return prefix + "_" + unique_suffix();
}

std::string with_database(const std::string& url, const std::string& dbname) {
    const auto scheme = url.find("://");
    if (scheme == std::string::npos) throw std::runtime_error("DATABASE_URL must be a URL in tests");
    const auto q = url.find('?');
    const std::string base = url.substr(0, q);
    const std::string query = q == std::string::npos ? "" : url.substr(q);
    const auto slash = base.find('/', scheme + 3);
    return (slash == std::string::npos ? base : base.substr(0, slash)) + "/" + dbname + query;
}

TestDatabase TestDatabase::migrated() {
    const std::string tmpl = "es_tmpl_" + migrations_fingerprint();
    ensure_template(tmpl);
    const std::string name = unique_name("es_test");
    pqxx::connection admin(database_url());
    pqxx::nontransaction tx(admin);
    tx.exec("CREATE DATABASE " + tx.quote_name(name) + " TEMPLATE " + tx.quote_name(tmpl));
    return TestDatabase(name, with_database(database_url(), name));
}

TestDatabase TestDatabase::empty() {
    const std::string name = unique_name("es_test");
    pqxx::connection admin(database_url());
    pqxx::nontransaction tx(admin);
    tx.exec("CREATE DATABASE " + tx.quote_name(name));
    return TestDatabase(name, with_database(database_url(), name));
}

TestDatabase::TestDatabase(TestDatabase&& other) noexcept
    : m_name(std::exchange(other.m_name, {})), m_url(std::move(other.m_url)) {}

TestDatabase::~TestDatabase() {
    if (m_name.empty()) return;
    try {
        pqxx::connection admin(database_url());
        pqxx::nontransaction tx(admin);
        tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(m_name) + " WITH (FORCE)");
    } catch (const std::exception& e) {
        ADD_FAILURE() << "could not drop test database " << m_name << ": " << e.what();
    }
}

}  // namespace edgesync::test
