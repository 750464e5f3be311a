#include "agent/sync_path.hpp"

#include <cstdint>

namespace edgesync::agent {

bool is_valid_utf8(std::string_view text) noexcept {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<std::uint8_t>(text[i]);
        std::size_t extra = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1;
            cp = c & 0x1FU;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
            cp = c & 0x0FU;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3;
            cp = c & 0x07U;
        } else {
            return false;
        }
        if (text.size() - i <= extra) return false;
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto cc = static_cast<std::uint8_t>(text[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3FU);
        }
        static constexpr std::uint32_t k_min_for_length[] = {0, 0x80, 0x800, 0x10000};
        if (cp < k_min_for_length[extra]) return false;  // overlong
        if (cp > 0x10FFFF) return false;                 // beyond Unicode
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;  // UTF-16 surrogate
        i += extra + 1;
    }
    return true;
}

bool is_canonical_path(std::string_view path) noexcept {
    if (path.empty() || path.size() > k_max_path_bytes) return false;
    if (path.find('\0') != std::string_view::npos) return false;
    if (!is_valid_utf8(path)) return false;
    std::size_t start = 0;
    while (true) {
        const auto slash = path.find('/', start);
        const auto part = path.substr(
            start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (part.empty() || part == "." || part == ".." || part.size() > k_max_name_bytes)
            return false;
        if (slash == std::string_view::npos) return true;
        start = slash + 1;
    }
}

std::string_view parent_path(std::string_view path) noexcept {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
}

std::string_view base_name(std::string_view path) noexcept {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace edgesync::agent
