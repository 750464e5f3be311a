#include "shared/util/bytes.hpp"

#include <sodium.h>

namespace edgesync {
namespace {

std::string encode(const Bytes& data, int variant) {
    const std::size_t len = sodium_base64_encoded_len(data.size(), variant);
    std::string out(len, '\0');
    sodium_bin2base64(out.data(), len, data.data(), data.size(), variant);
    out.resize(len - 1);  // drop the terminating NUL
    return out;
}

bool decode(std::string_view text, Bytes& out, int variant) {
    out.assign(text.size() * 3 / 4 + 3, 0);
    std::size_t bin_len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &bin_len,
                          &end, variant) != 0 ||
        end != text.data() + text.size()) {
        return false;
    }
    out.resize(bin_len);
    return true;
}

}  // namespace

std::string base64_encode(const Bytes& data) {
    return encode(data, sodium_base64_VARIANT_ORIGINAL);
}
std::string base64url_encode(const Bytes& data) {
    return encode(data, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}
bool base64_decode(std::string_view text, Bytes& out) {
    return decode(text, out, sodium_base64_VARIANT_ORIGINAL);
}
bool base64url_decode(std::string_view text, Bytes& out) {
    return decode(text, out, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::string hex_encode(const Bytes& data) {
    std::string out(data.size() * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), data.data(), data.size());
    out.pop_back();
    return out;
}

}  // namespace edgesync
