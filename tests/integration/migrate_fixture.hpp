#pragma once

// Shared by tests/integration/test_migrate*.cpp: a blank private database,
// a scratch migrations folder, and ways to look at the result.

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "shared/migrate/migrator.hpp"
#include "tests/support/run_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"

namespace edgesync::test {

class MigrateTest : public ::testing::Test {
  protected:
    [[nodiscard]] std::unique_ptr<migrate::Migrator> migrator(
        const std::filesystem::path& dir, migrate::Migrator::Options extra = {}) const {
        extra.database_url = m_db.url();
        extra.dir = dir;
        return std::make_unique<migrate::Migrator>(std::move(extra));
    }
    [[nodiscard]] std::unique_ptr<migrate::Migrator> project_migrator() const {
        return migrator(migrations_dir());
    }

    // The project's migrations/ as the runner reads it. Tests over the real
    // folder derive what to expect from this, so adding a migration never
    // breaks them; tests of the runner's mechanics use m_dir instead.
    [[nodiscard]] static std::vector<migrate::Migration> project_files() {
        auto files = migrate::load_migrations(migrations_dir());
        if (files.size() < 2) throw std::runtime_error("expected at least two project migrations");
        return files;
    }
    [[nodiscard]] static std::vector<std::string> names_of(
        const std::vector<migrate::Migration>& files) {
        std::vector<std::string> names;
        for (const auto& f : files) names.push_back(f.name);
        return names;
    }
    [[nodiscard]] static std::vector<std::string> names_of(
        const std::vector<migrate::AppliedMigration>& applied) {
        std::vector<std::string> names;
        for (const auto& a : applied) names.push_back(a.name);
        return names;
    }
    // The single schema_migrations row a clean run up to `version` leaves.
    [[nodiscard]] static std::vector<std::string> clean_at(std::int64_t version) {
        return {std::to_string(version) + ":f"};
    }

    // The first column of the first row as text; nullopt for no row or NULL.
    [[nodiscard]] std::optional<std::string> query(const std::string& sql) const {
        pqxx::connection c(m_db.url());
        pqxx::nontransaction tx(c);
        const auto r = tx.exec(sql);
        if (r.empty() || r[0][0].is_null()) return std::nullopt;
        return r[0][0].as<std::string>();
    }

    [[nodiscard]] bool relation_exists(const std::string& name) const {
        return query("SELECT to_regclass('" + name + "') IS NOT NULL") == "t";
    }

    // schema_migrations as "version:dirty" rows, e.g. {"2:f"}.
    [[nodiscard]] std::vector<std::string> version_rows() const {
        pqxx::connection c(m_db.url());
        pqxx::nontransaction tx(c);
        std::vector<std::string> out;
        for (const auto& row : tx.exec("SELECT version || ':' || (CASE WHEN dirty THEN 't' ELSE "
                                       "'f' END) FROM schema_migrations ORDER BY version"))
            out.push_back(row[0].as<std::string>());
        return out;
    }

    // pg_dump --schema-only, minus the \restrict lines that carry a random key.
    [[nodiscard]] std::string schema_dump() const {
        const auto pg_dump = find_program("pg_dump", {"/usr/lib/postgresql/15/bin"});
        if (!pg_dump) throw std::runtime_error("pg_dump not found");
        ProcessOptions options;
        options.args = {pg_dump->string(), "--schema-only", "--no-owner", m_db.url()};
        const auto r = run_process(options);
        if (r.exit_code != 0) throw std::runtime_error("pg_dump failed: " + describe(r));
        std::istringstream in(r.out);
        std::string line, out;
        while (std::getline(in, line))
            if (!line.starts_with("\\restrict") && !line.starts_with("\\unrestrict"))
                out += line + "\n";
        return out;
    }

    TestDatabase m_db = TestDatabase::empty();
    TempDir m_dir;
};

}  // namespace edgesync::test
