#pragma once

#include <cstddef>
#include <cstdint>

#include "shared/crypto/byte_view.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::crypto {

// Key material that is wiped (sodium_memzero) when it is destroyed or
// overwritten. Fixed size once made: there is no append, so the buffer never
// reallocates and leaves an unwiped copy behind. Converts to ByteView, so it
// can be passed wherever a primitive takes a key.
//
// Not wiped: copies the caller makes with to_bytes(), and swap space / core
// dumps (the memory is not mlock'ed).
class SecretBytes {
public:
    SecretBytes() = default;
    // `size` zero bytes, to be filled through data().
    explicit SecretBytes(std::size_t size) : m_bytes(size) {}
    // A copy of `data`. The source is not wiped: the caller owns it.
    explicit SecretBytes(ByteView data) : m_bytes(data.begin(), data.end()) {}

    SecretBytes(const SecretBytes& other) = default;
    SecretBytes(SecretBytes&& other) noexcept = default;  // `other` is left empty
    SecretBytes& operator=(const SecretBytes& other);
    SecretBytes& operator=(SecretBytes&& other) noexcept;
    ~SecretBytes();

    [[nodiscard]] std::uint8_t* data() noexcept { return m_bytes.data(); }
    [[nodiscard]] const std::uint8_t* data() const noexcept { return m_bytes.data(); }
    [[nodiscard]] std::size_t size() const noexcept { return m_bytes.size(); }
    [[nodiscard]] bool empty() const noexcept { return m_bytes.empty(); }

    [[nodiscard]] ByteView view() const noexcept { return {m_bytes.data(), m_bytes.size()}; }
    operator ByteView() const noexcept { return view(); }  // NOLINT: implicit by design

    // An unprotected copy, e.g. to store a wrapped key's plaintext nowhere but
    // a 0600 file. Prefer passing the SecretBytes itself.
    [[nodiscard]] Bytes to_bytes() const { return m_bytes; }

private:
    void wipe() noexcept;
    Bytes m_bytes;
};

// Constant-time comparison (no early exit on the first differing byte).
[[nodiscard]] bool operator==(const SecretBytes& a, const SecretBytes& b) noexcept;

// Zeroes `bytes` (sodium_memzero) and empties it: for plaintext key material
// that arrived in a plain Bytes, once it has been copied where it belongs.
void wipe(Bytes& bytes) noexcept;

}  // namespace edgesync::crypto
