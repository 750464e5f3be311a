#include "shared/migrate/migration_files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

#include "shared/util/error.hpp"

namespace edgesync::migrate {
namespace {

constexpr std::string_view k_up_suffix = ".up.sql";
constexpr std::string_view k_down_suffix = ".down.sql";

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

Error bad_file(const std::filesystem::path& file, std::string_view why) {
    return Error(fmt::format("bad migration file {}: {}", file.string(), why));
}

void refuse_existing(const std::filesystem::path& path) {
    if (std::filesystem::exists(path))
        throw Error(fmt::format("{} already exists", path.string()), ExitCode::conflict);
}

void write_empty_file(const std::filesystem::path& path) {
    std::ofstream out(path, std::ios::binary);
    if (!out) throw Error(fmt::format("cannot create {}", path.string()));
}

}  // namespace

std::expected<FileName, std::string> parse_file_name(std::string_view file_name) {
    FileName out;
    std::string_view rest = file_name;
    if (rest.ends_with(k_up_suffix)) {
        out.direction = Direction::up;
        rest.remove_suffix(k_up_suffix.size());
    } else if (rest.ends_with(k_down_suffix)) {
        out.direction = Direction::down;
        rest.remove_suffix(k_down_suffix.size());
    } else {
        return std::unexpected("expected <version>_<title>.up.sql or <version>_<title>.down.sql");
    }
    const auto digits_end = std::find_if_not(rest.begin(), rest.end(), is_digit);
    const auto digits = rest.substr(0, static_cast<std::size_t>(digits_end - rest.begin()));
    if (digits.empty()) return std::unexpected("the name must start with a version number");
    if (digits.size() == rest.size() || rest[digits.size()] != '_')
        return std::unexpected("expected '_' after the version number");
    if (digits.size() + 1 == rest.size()) return std::unexpected("the title after '_' is empty");
    const auto [ptr, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), out.version);
    if (ec != std::errc{} || ptr != digits.data() + digits.size())
        return std::unexpected("the version number is too large");
    out.name = std::string(rest);
    return out;
}

std::vector<Migration> load_migrations(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        throw Error(fmt::format("migrations directory {} does not exist (set --path or "
                                "MIGRATIONS_PATH)",
                                dir.string()),
                    ExitCode::not_found);
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const auto fname = entry.path().filename().string();
        if (fname.starts_with('.') || !fname.ends_with(".sql")) continue;
        files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());  // deterministic error messages

    std::map<std::int64_t, Migration> by_version;
    std::map<std::int64_t, std::filesystem::path> downs;
    for (const auto& file : files) {
        auto parsed = parse_file_name(file.filename().string());
        if (!parsed) throw bad_file(file, parsed.error());
        if (parsed->direction == Direction::up) {
            auto [it, inserted] = by_version.try_emplace(parsed->version);
            if (!inserted)
                throw bad_file(file, fmt::format("version {} is also used by {}", parsed->version,
                                                 it->second.up.filename().string()));
            it->second.version = parsed->version;
            it->second.name = parsed->name;
            it->second.up = file;
        } else {
            auto [it, inserted] = downs.try_emplace(parsed->version, file);
            if (!inserted)
                throw bad_file(file, fmt::format("version {} is also used by {}", parsed->version,
                                                 it->second.filename().string()));
        }
    }
    for (const auto& [version, down] : downs) {
        const auto it = by_version.find(version);
        if (it == by_version.end()) throw bad_file(down, "there is no matching .up.sql file");
        const auto down_name = parse_file_name(down.filename().string())->name;
        if (down_name != it->second.name)
            throw bad_file(down, fmt::format("its title differs from its up file {}",
                                             it->second.up.filename().string()));
        it->second.down = down;
    }
    std::vector<Migration> out;
    out.reserve(by_version.size());
    for (auto& [version, m] : by_version) out.push_back(std::move(m));
    return out;
}

std::string read_sql(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(fmt::format("cannot read {}", file.string()));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

CreatedMigration create_migration(const std::filesystem::path& dir, std::string_view title) {
    const bool valid_title = !title.empty() && std::all_of(title.begin(), title.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
    });
    if (!valid_title)
        throw Error(fmt::format("migration name '{}' must be letters, digits, '_' or '-'", title),
                    ExitCode::usage);
    std::filesystem::create_directories(dir);
    const auto existing = load_migrations(dir);
    CreatedMigration out;
    out.version = existing.empty() ? 1 : existing.back().version + 1;
    const auto stem = fmt::format("{:06}_{}", out.version, title);
    out.up = dir / (stem + std::string(k_up_suffix));
    out.down = dir / (stem + std::string(k_down_suffix));
    refuse_existing(out.up);
    refuse_existing(out.down);
    write_empty_file(out.up);
    write_empty_file(out.down);
    return out;
}

}  // namespace edgesync::migrate
