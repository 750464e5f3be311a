#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "shared/crypto/byte_view.hpp"
#include "shared/crypto/secret_bytes.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::agent {

// The encrypted payload of one file, as stored in a state blob (DESIGN: End-to-end
// crypto). The server sees only the state key, a nonce and ciphertext.
//
// Plaintext record, all integers big-endian:
//   u8  format version (k_payload_format_version)
//   u8  flags (0; any other value is rejected until a version defines it)
//   u16 path length, then the path (canonical, see sync_path.hpp)
//   u32 mode (permission bits, at most 07777)
//   i64 mtime in ns since the Unix epoch
//   u64 size, which must equal the number of content bytes that follow
//   32  content hash (BLAKE2b-256 of the content), checked on decode
//   ... content
// Encrypted with XChaCha20-Poly1305 under derive_blob_key(AK), a fresh random
// 24-byte nonce, AD = blob_associated_data(account_id, state_key), where
// state_key = state_key_for_path(derive_name_key(AK), path).
inline constexpr std::uint8_t k_payload_format_version = 1;
inline constexpr std::uint32_t k_max_mode = 07777;
// version + flags + path length + mode + mtime + size + hash
inline constexpr std::size_t k_record_header_fixed_bytes = 1 + 1 + 2 + 4 + 8 + 8 + 32;

struct FileMeta {
    std::string path;        // canonical relative path
    std::uint32_t mode = 0;  // permission bits only
    std::int64_t mtime_ns = 0;
    std::uint64_t size = 0;
    Bytes content_hash;  // k_content_hash_bytes

    friend bool operator==(const FileMeta&, const FileMeta&) = default;
};

struct FileRecord {
    FileMeta meta;
    Bytes content;
};

struct EncryptedPayload {
    Bytes nonce;       // crypto::k_aead_nonce_bytes
    Bytes ciphertext;  // record + tag
};

struct PayloadError {
    enum class Kind {
        undecryptable,        // wrong key, wrong account/state key, any changed bit
        malformed,            // decrypted, but the record is not well formed
        unsupported_version,  // written by a newer agent
        wrong_state_key,      // the path inside does not hash to the key it is stored under
    };
    Kind kind;
    std::string message;  // for logs; never contains file content
};

// The record for `content`: meta.size and meta.content_hash are taken from the
// content (whatever the caller put there). Throws std::invalid_argument if the
// path is not canonical or the mode has bits above 07777 (programming errors).
[[nodiscard]] Bytes encode_record(const FileMeta& meta, crypto::ByteView content);

// Parses a plaintext record. Never throws for any input (it is fuzzed): every
// defect is a PayloadError.
[[nodiscard]] std::expected<FileRecord, PayloadError> decode_record(crypto::ByteView record);

// Encrypts and decrypts payloads of one account. Holds the derived subkeys only
// (not the account key). Immutable after construction: safe to share between
// threads.
class PayloadCipher {
  public:
    // Throws std::invalid_argument unless account_key is 32 bytes.
    PayloadCipher(crypto::ByteView account_key, std::string account_id);

    // The server-side name of `path` (must be canonical).
    [[nodiscard]] std::string state_key(std::string_view path) const;

    [[nodiscard]] EncryptedPayload seal(const FileMeta& meta, crypto::ByteView content) const;

    // Decrypts the blob stored under `state_key` and checks that it belongs
    // there: authentic for this account and key, well formed, and its path
    // hashes to `state_key`.
    [[nodiscard]] std::expected<FileRecord, PayloadError> open(std::string_view state_key,
                                                               crypto::ByteView nonce,
                                                               crypto::ByteView ciphertext) const;

  private:
    crypto::SecretBytes m_blob_key;
    crypto::SecretBytes m_name_key;
    std::string m_account_id;
};

}  // namespace edgesync::agent
