#include "agent/content_hash.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

#include "shared/crypto/hash.hpp"
#include "shared/crypto/sodium_init.hpp"

namespace edgesync::agent {

Bytes content_hash(crypto::ByteView content) {
    return crypto::blake2b(content, k_content_hash_bytes);
}

Bytes hash_file(const std::filesystem::path& file) {
    crypto::ensure_sodium();
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + file.string());
    crypto_generichash_state state;
    crypto_generichash_init(&state, nullptr, 0, k_content_hash_bytes);
    std::array<unsigned char, 64 * 1024> buffer{};
    while (true) {
        const auto n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::close(fd);
            throw std::system_error(err, std::generic_category(), "read " + file.string());
        }
        if (n == 0) break;
        crypto_generichash_update(&state, buffer.data(), static_cast<unsigned long long>(n));
    }
    ::close(fd);
    Bytes out(k_content_hash_bytes);
    crypto_generichash_final(&state, out.data(), out.size());
    return out;
}

}  // namespace edgesync::agent
