#include "agent/payload.hpp"

#include <stdexcept>

#include "agent/content_hash.hpp"
#include "agent/sync_path.hpp"
#include "shared/crypto/account_key.hpp"
#include "shared/crypto/aead.hpp"
#include "shared/crypto/hash.hpp"

namespace edgesync::agent {

static_assert(k_record_header_fixed_bytes == 24 + k_content_hash_bytes);

namespace {

void put_be(Bytes& out, std::uint64_t value, int bytes) {
    for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8)
        out.push_back(static_cast<std::uint8_t>(value >> shift));
}

// Bounds-checked big-endian reader over untrusted bytes.
class Reader {
  public:
    explicit Reader(crypto::ByteView data) : m_data(data) {}
    [[nodiscard]] std::size_t remaining() const noexcept { return m_data.size() - m_pos; }
    [[nodiscard]] bool read(std::uint64_t& value, std::size_t bytes) noexcept {
        if (remaining() < bytes) return false;
        value = 0;
        for (std::size_t i = 0; i < bytes; ++i) value = (value << 8) | m_data[m_pos + i];
        m_pos += bytes;
        return true;
    }
    [[nodiscard]] bool take(crypto::ByteView& out, std::size_t bytes) noexcept {
        if (remaining() < bytes) return false;
        out = m_data.subspan(m_pos, bytes);
        m_pos += bytes;
        return true;
    }

  private:
    crypto::ByteView m_data;
    std::size_t m_pos = 0;
};

std::unexpected<PayloadError> malformed(std::string message) {
    return std::unexpected(PayloadError{PayloadError::Kind::malformed, std::move(message)});
}

}  // namespace

Bytes encode_record(const FileMeta& meta, crypto::ByteView content) {
    if (!is_canonical_path(meta.path))
        throw std::invalid_argument("payload: path is not canonical");
    if (meta.mode > k_max_mode) throw std::invalid_argument("payload: mode has bits above 07777");
    Bytes out;
    out.reserve(k_record_header_fixed_bytes + meta.path.size() + content.size());
    out.push_back(k_payload_format_version);
    out.push_back(0);  // flags
    put_be(out, meta.path.size(), 2);
    out.insert(out.end(), meta.path.begin(), meta.path.end());
    put_be(out, meta.mode, 4);
    put_be(out, static_cast<std::uint64_t>(meta.mtime_ns), 8);
    put_be(out, content.size(), 8);
    const auto hash = content_hash(content);
    out.insert(out.end(), hash.begin(), hash.end());
    out.insert(out.end(), content.begin(), content.end());
    return out;
}

std::expected<FileRecord, PayloadError> decode_record(crypto::ByteView record) {
    Reader in(record);
    std::uint64_t version = 0, flags = 0, path_len = 0, mode = 0, mtime = 0, size = 0;
    if (!in.read(version, 1)) return malformed("payload: empty record");
    if (version != k_payload_format_version)
        return std::unexpected(PayloadError{PayloadError::Kind::unsupported_version,
                                            "payload: format version " + std::to_string(version) +
                                                " is not supported (this agent "
                                                "reads version " +
                                                std::to_string(k_payload_format_version) + ")"});
    if (!in.read(flags, 1) || !in.read(path_len, 2)) return malformed("payload: truncated header");
    if (flags != 0) return malformed("payload: unknown flags " + std::to_string(flags));
    crypto::ByteView path_bytes;
    if (!in.take(path_bytes, path_len)) return malformed("payload: truncated path");
    std::string path(path_bytes.begin(), path_bytes.end());
    if (!is_canonical_path(path)) return malformed("payload: path is not canonical");
    if (!in.read(mode, 4) || !in.read(mtime, 8) || !in.read(size, 8))
        return malformed("payload: truncated header");
    if (mode > k_max_mode) return malformed("payload: mode has bits above 07777");
    crypto::ByteView hash;
    if (!in.take(hash, k_content_hash_bytes)) return malformed("payload: truncated content hash");
    if (size != in.remaining())
        return malformed("payload: size says " + std::to_string(size) + " bytes, record has " +
                         std::to_string(in.remaining()));
    crypto::ByteView content;
    (void)in.take(content, in.remaining());
    if (!crypto::equal(content_hash(content), hash))
        return malformed("payload: content does not match its hash");
    FileRecord out;
    out.meta.path = std::move(path);
    out.meta.mode = static_cast<std::uint32_t>(mode);
    out.meta.mtime_ns = static_cast<std::int64_t>(mtime);
    out.meta.size = size;
    out.meta.content_hash.assign(hash.begin(), hash.end());
    out.content.assign(content.begin(), content.end());
    return out;
}

PayloadCipher::PayloadCipher(crypto::ByteView account_key, std::string account_id)
    : m_blob_key(crypto::derive_blob_key(account_key)),
      m_name_key(crypto::derive_name_key(account_key)),
      m_account_id(std::move(account_id)) {}

std::string PayloadCipher::state_key(std::string_view path) const {
    return crypto::state_key_for_path(m_name_key, path);
}

EncryptedPayload PayloadCipher::seal(const FileMeta& meta, crypto::ByteView content) const {
    const auto record = encode_record(meta, content);
    const auto ad = crypto::blob_associated_data(m_account_id, state_key(meta.path));
    auto sealed = crypto::seal(m_blob_key, record, ad);
    return {std::move(sealed.nonce), std::move(sealed.ciphertext)};
}

std::expected<FileRecord, PayloadError> PayloadCipher::open(std::string_view key,
                                                            crypto::ByteView nonce,
                                                            crypto::ByteView ciphertext) const {
    const auto ad = crypto::blob_associated_data(m_account_id, key);
    auto record = crypto::open(m_blob_key, nonce, ciphertext, ad);
    if (!record)
        return std::unexpected(PayloadError{
            PayloadError::Kind::undecryptable,
            "payload: cannot decrypt (wrong key, or not stored under this account and key)"});
    auto decoded = decode_record(*record);
    if (!decoded) return decoded;
    // Authentic under AK, so written by a device of this account; the path check
    // still catches a buggy or confused writer storing a file under another key.
    if (state_key(decoded->meta.path) != key)
        return std::unexpected(PayloadError{PayloadError::Kind::wrong_state_key,
                                            "payload: path does not match its state key"});
    return decoded;
}

}  // namespace edgesync::agent
