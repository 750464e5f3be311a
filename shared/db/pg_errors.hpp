#pragma once

#include <string>
#include <string_view>

#include <pqxx/except>

#include "shared/util/error.hpp"

// The repository edge: libpqxx exceptions become EdgeSync's. Repositories map
// the outcomes they expect (e.g. a unique violation) to values themselves and
// let the rest through pg::guard.
namespace edgesync::pg {

// "<context>: <sqlstate> <first line of the server message>". Parameters are
// never part of it (queries are parameterised), so it holds no secrets.
[[nodiscard]] std::string describe(std::string_view context, const pqxx::sql_error& e);
[[nodiscard]] std::string describe(std::string_view context, const std::exception& e);

// Runs f(); broken_connection -> ConnectionError, any other libpqxx error ->
// StorageError. EdgeSync's own exceptions pass through unchanged.
template <class F>
auto guard(std::string_view context, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const pqxx::broken_connection& e) {
        throw ConnectionError(describe(context, e));
    } catch (const pqxx::in_doubt_error& e) {
        throw ConnectionError(describe(context, e));
    } catch (const pqxx::sql_error& e) {
        throw StorageError(describe(context, e));
    } catch (const pqxx::pqxx_exception& e) {
        throw StorageError(describe(context, e.base()));
    }
}

}  // namespace edgesync::pg
