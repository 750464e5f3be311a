#include "shared/crypto/secret_bytes.hpp"

#include <sodium.h>

#include <utility>

namespace edgesync::crypto {

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
    if (this != &other) {
        // Copy-and-swap: the old buffer is wiped by the temporary's destructor,
        // never freed unwiped by vector's assignment reusing or reallocating.
        SecretBytes copy(other);
        std::swap(m_bytes, copy.m_bytes);
    }
    return *this;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
        wipe();
        m_bytes = std::move(other.m_bytes);
        other.m_bytes.clear();
    }
    return *this;
}

SecretBytes::~SecretBytes() { wipe(); }

void SecretBytes::wipe() noexcept {
    // sodium_memzero needs no sodium_init(); it is a plain non-elidable store.
    if (!m_bytes.empty()) sodium_memzero(m_bytes.data(), m_bytes.size());
}

void wipe(Bytes& bytes) noexcept {
    if (!bytes.empty()) sodium_memzero(bytes.data(), bytes.size());
    bytes.clear();
}

bool operator==(const SecretBytes& a, const SecretBytes& b) noexcept {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace edgesync::crypto
