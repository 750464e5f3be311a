#include "shared/db/pg_errors.hpp"

#include <fmt/format.h>

namespace edgesync::pg {
namespace {
std::string_view first_line(std::string_view text) { return text.substr(0, text.find('\n')); }
}  // namespace

std::string describe(std::string_view context, const pqxx::sql_error& e) {
    return fmt::format("{}: Postgres error {}: {}", context, e.sqlstate(), first_line(e.what()));
}

std::string describe(std::string_view context, const std::exception& e) {
    return fmt::format("{}: {}", context, first_line(e.what()));
}

}  // namespace edgesync::pg
