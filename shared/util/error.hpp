#pragma once

#include <stdexcept>
#include <string>

namespace edgesync {

// Process exit codes shared by every EdgeSync program (DESIGN: CLI section).
enum class ExitCode : int {
    ok = 0,
    failure = 1,
    usage = 2,
    not_found = 3,
    conflict = 4,       // version conflict, dirty schema
    cannot_connect = 5, // Postgres or Redis unreachable within the timeout
};

// Broken infrastructure or programming errors are exceptions, caught once at a
// program's edge. Expected outcomes (not found, conflict) are values instead.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& what, ExitCode code = ExitCode::failure)
        : std::runtime_error(what), m_code(code) {}
    [[nodiscard]] ExitCode code() const noexcept { return m_code; }

private:
    ExitCode m_code;
};

// A required value is missing or malformed. The message names the variable.
class ConfigError : public Error {
public:
    explicit ConfigError(const std::string& what) : Error(what, ExitCode::usage) {}
};

// Postgres or Redis could not be reached (or the connection broke).
class ConnectionError : public Error {
public:
    explicit ConnectionError(const std::string& what) : Error(what, ExitCode::cannot_connect) {}
};

// A database or Redis call failed for a reason other than connectivity.
class StorageError : public Error {
public:
    explicit StorageError(const std::string& what) : Error(what, ExitCode::failure) {}
};

}  // namespace edgesync
