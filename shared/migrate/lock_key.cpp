#include "shared/migrate/lock_key.hpp"

#include <string>

namespace edgesync::migrate {

std::uint32_t crc32_ieee(std::string_view data) noexcept {
    std::uint32_t crc = 0xFFFFFFFFU;
    for (const char ch : data) {
        crc ^= static_cast<unsigned char>(ch);
        for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320U & (0U - (crc & 1U)));
    }
    return ~crc;
}

std::int64_t golang_migrate_lock_key(std::string_view database, std::string_view schema,
                                     std::string_view table) {
    constexpr std::uint32_t k_salt = 1486364155U;
    std::string joined;
    joined.append(schema).push_back('\0');
    joined.append(table).push_back('\0');
    joined.append(database);
    return static_cast<std::int64_t>(static_cast<std::uint32_t>(crc32_ieee(joined) * k_salt));
}

}  // namespace edgesync::migrate
