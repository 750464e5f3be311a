// Migration file names (`<version>_<title>.<up|down>.sql`). Property: never
// throws; an accepted name has a non-negative version and a name that is a
// prefix of the file name.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "shared/migrate/migration_files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view name(reinterpret_cast<const char*>(data), size);
    if (const auto parsed = edgesync::migrate::parse_file_name(name)) {
        if (parsed->version < 0 || !name.starts_with(parsed->name)) std::abort();
    }
    return 0;
}
