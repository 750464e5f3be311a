#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/util/error.hpp"

// Migration files in golang-migrate's format: `<version>_<title>.<up|down>.sql`,
// where <version> is the leading run of digits (any number of them, read as a
// decimal integer) and <title> is anything. `create` writes 6-digit versions.
namespace edgesync::migrate {

enum class Direction { up, down };

[[nodiscard]] constexpr const char* to_string(Direction d) noexcept {
    return d == Direction::up ? "up" : "down";
}

// One parsed file name.
struct FileName {
    std::int64_t version = 0;
    std::string name;  // everything before ".up.sql"/".down.sql", e.g. "000001_init"
    Direction direction = Direction::up;
};

// Parses one file name (no directory part). The error is a phrase saying what
// is wrong, e.g. "expected <version>_<title>.up.sql or .down.sql".
[[nodiscard]] std::expected<FileName, std::string> parse_file_name(std::string_view file_name);

// One migration: an up file and usually a down file. A migration without a
// down file is valid; it just cannot be reverted (planning down says so).
struct Migration {
    std::int64_t version = 0;
    std::string name;  // e.g. "000001_init"
    std::filesystem::path up;
    std::optional<std::filesystem::path> down;
};

// Every migration in `dir`, sorted by version. Only `*.sql` files count
// (a README beside them is fine); hidden files are skipped.
// Throws Error: not_found when `dir` is not a directory; failure for a *.sql
// file whose name does not parse, two files for the same version and
// direction, a down file without an up file, or an up/down pair whose titles
// differ. Messages name the file(s).
[[nodiscard]] std::vector<Migration> load_migrations(const std::filesystem::path& dir);

// The file's text. Throws Error naming the file when it cannot be read.
[[nodiscard]] std::string read_sql(const std::filesystem::path& file);

struct CreatedMigration {
    std::int64_t version = 0;
    std::filesystem::path up;
    std::filesystem::path down;
};

// Writes an empty `<next>_<title>.up.sql` / `.down.sql` pair into `dir`
// (created if missing), where <next> is the highest existing version + 1,
// zero-padded to 6 digits. `title` must be letters, digits, '_' or '-'
// (Error with ExitCode::usage otherwise). Never overwrites a file.
[[nodiscard]] CreatedMigration create_migration(const std::filesystem::path& dir,
                                                std::string_view title);

}  // namespace edgesync::migrate
