#include "shared/db/redis_script.hpp"

#include <array>
#include <bit>
#include <cstdint>
#include <utility>

namespace edgesync {
namespace {

// FIPS 180-4 SHA-1 over one 64-byte block.
void sha1_block(std::array<std::uint32_t, 5>& h, const unsigned char* p) {
    std::array<std::uint32_t, 80> w{};
    for (std::size_t i = 0; i < 16; ++i)
        w[i] = (std::uint32_t{p[4 * i]} << 24) | (std::uint32_t{p[4 * i + 1]} << 16) |
               (std::uint32_t{p[4 * i + 2]} << 8) | std::uint32_t{p[4 * i + 3]};
    for (std::size_t i = 16; i < 80; ++i)
        w[i] = std::rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (std::size_t i = 0; i < 80; ++i) {
        std::uint32_t f = 0;
        std::uint32_t k = 0;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDC;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6;
        }
        const std::uint32_t t = std::rotl(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = std::rotl(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

}  // namespace

std::string sha1_hex(std::string_view data) {
    std::array<std::uint32_t, 5> h{0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    std::string msg(data);
    const std::uint64_t bit_len = static_cast<std::uint64_t>(data.size()) * 8;
    msg.push_back('\x80');
    while (msg.size() % 64 != 56) msg.push_back('\0');
    for (int shift = 56; shift >= 0; shift -= 8)
        msg.push_back(static_cast<char>((bit_len >> shift) & 0xFF));
    for (std::size_t off = 0; off < msg.size(); off += 64)
        sha1_block(h, reinterpret_cast<const unsigned char*>(msg.data() + off));

    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(40);
    for (const std::uint32_t word : h)
        for (int shift = 28; shift >= 0; shift -= 4) out.push_back(k_hex[(word >> shift) & 0xF]);
    return out;
}

RedisScript::RedisScript(std::string source)
    : m_source(std::move(source)), m_sha1(sha1_hex(m_source)) {}

}  // namespace edgesync
