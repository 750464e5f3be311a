#include "shared/services/validation.hpp"

#include <cstdint>

namespace edgesync {
namespace {

bool is_ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Decodes the code point at text[i], advancing i; false on invalid UTF-8.
bool next_code_point(std::string_view text, std::size_t& i, std::uint32_t& cp) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    if (b0 < 0x80U) {
        cp = b0;
        ++i;
        return true;
    }
    // Lead byte -> sequence length, payload bits, smallest value it may encode.
    struct Lead {
        unsigned char mask, value, payload;
        std::size_t len;
        std::uint32_t min;
    };
    static constexpr Lead k_leads[] = {
        {0xE0U, 0xC0U, 0x1FU, 2, 0x80U},
        {0xF0U, 0xE0U, 0x0FU, 3, 0x800U},
        {0xF8U, 0xF0U, 0x07U, 4, 0x10000U},
    };
    const Lead* lead = nullptr;
    for (const auto& l : k_leads)
        if ((b0 & l.mask) == l.value) lead = &l;
    if (lead == nullptr) return false;
    const std::size_t len = lead->len;
    const std::uint32_t min = lead->min;
    cp = b0 & lead->payload;
    if (text.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(text[i + k]);
        if ((b & 0xC0U) != 0x80U) return false;
        cp = (cp << 6U) | (b & 0x3FU);
    }
    if (cp < min || cp > 0x10FFFFU || (cp >= 0xD800U && cp <= 0xDFFFU)) return false;
    i += len;
    return true;
}

bool is_control(std::uint32_t cp) { return cp < 0x20U || (cp >= 0x7FU && cp <= 0x9FU); }

// Unicode White_Space code points beyond ASCII (U+0085 is already a control).
bool is_unicode_space(std::uint32_t cp) {
    return cp == 0x20U || cp == 0xA0U || cp == 0x1680U || (cp >= 0x2000U && cp <= 0x200AU) ||
           cp == 0x2028U || cp == 0x2029U || cp == 0x202FU || cp == 0x205FU || cp == 0x3000U;
}

}  // namespace

std::size_t utf8_length(std::string_view text) noexcept {
    std::size_t n = 0;
    std::uint32_t cp = 0;
    for (std::size_t i = 0; i < text.size(); ++n)
        if (!next_code_point(text, i, cp)) return SIZE_MAX;
    return n;
}

std::string_view trim_ascii_space(std::string_view text) noexcept {
    while (!text.empty() && is_ascii_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_ascii_space(text.back())) text.remove_suffix(1);
    return text;
}

std::string to_lower_ascii(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

ServiceResult<std::string> normalize_email(std::string_view email) {
    email = trim_ascii_space(email);

    const auto invalid = [](const std::string& why) {
        return service_error(ServiceErrorCode::invalid_email, "invalid email address: " + why);
    };
    const std::size_t chars = utf8_length(email);
    if (chars == SIZE_MAX) return invalid("not valid UTF-8");
    if (chars < k_email_min_chars || chars > k_email_max_chars)
        return invalid("must be " + std::to_string(k_email_min_chars) + " to " +
                       std::to_string(k_email_max_chars) + " characters");
    std::uint32_t cp = 0;
    for (std::size_t i = 0; i < email.size();) {
        (void)next_code_point(email, i, cp);  // validated above
        if (is_control(cp) || is_unicode_space(cp))
            return invalid("must not contain spaces or control characters");
    }
    const auto at = email.find('@');
    if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos)
        return invalid("must contain exactly one '@'");
    if (at == 0) return invalid("nothing before the '@'");
    if (at + 1 == email.size()) return invalid("no domain after the '@'");
    return std::string(email);
}

ServiceResult<void> validate_device_name(std::string_view name) {
    const auto invalid = [](const std::string& why) {
        return service_error(ServiceErrorCode::invalid_argument, "invalid device name: " + why);
    };
    const std::size_t chars = utf8_length(name);
    if (chars == SIZE_MAX) return invalid("not valid UTF-8");
    if (chars == 0 || chars > k_device_name_max_chars)
        return invalid("must be 1 to " + std::to_string(k_device_name_max_chars) + " characters");
    bool blank = true;
    std::uint32_t cp = 0;
    for (std::size_t i = 0; i < name.size();) {
        (void)next_code_point(name, i, cp);
        if (is_control(cp)) return invalid("must not contain control characters");
        if (!is_unicode_space(cp)) blank = false;
    }
    if (blank) return invalid("must not be only spaces");
    return {};
}

}  // namespace edgesync
