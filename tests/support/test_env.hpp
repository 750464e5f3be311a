#pragma once

#include <filesystem>
#include <string>

namespace edgesync::test {

// The service URLs that scripts/services.sh exports. Integration tests fail
// (not skip) when they are missing: a suite that silently skips proves nothing.
[[nodiscard]] std::string database_url();
[[nodiscard]] std::string redis_url();
[[nodiscard]] std::filesystem::path source_dir();
[[nodiscard]] std::filesystem::path migrations_dir();

// `url` with its database name replaced by `dbname`.
[[nodiscard]] std::string with_database(const std::string& url, const std::string& dbname);

// A private database for one test, dropped (with its connections) on
// destruction. `migrated()` gives one cloned from a template built once per
// migration set by applying migrations/*.up.sql in order; `empty()` gives a
// blank one (for migration tests).
class TestDatabase {
public:
    static TestDatabase migrated();
    static TestDatabase empty();
    TestDatabase(TestDatabase&& other) noexcept;
    TestDatabase& operator=(TestDatabase&&) = delete;
    TestDatabase(const TestDatabase&) = delete;
    ~TestDatabase();

    [[nodiscard]] const std::string& url() const { return m_url; }
    [[nodiscard]] const std::string& name() const { return m_name; }

private:
    TestDatabase(std::string name, std::string url) : m_name(std::move(name)), m_url(std::move(url)) {}
    std::string m_name;  // empty once moved from
    std::string m_url;
};

// A unique, readable identifier for test data: "<prefix>-<random hex>".
[[nodiscard]] std::string unique_name(const std::string& prefix);

}  // namespace edgesync::test
