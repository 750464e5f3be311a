// The encrypted payload decoder: decode_record on any plaintext (what a
// compromised account key could make an agent decrypt), and
// PayloadCipher::open on any nonce/ciphertext under a fixed key (what a
// hostile server can send). Property: never throws; a record that decodes
// re-encodes to one that decodes to the same meta and content.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/payload.hpp"
#include "shared/util/bytes.hpp"

using namespace edgesync;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const crypto::ByteView input(data, size);

    if (const auto record = agent::decode_record(input)) {
        const Bytes again = agent::encode_record(record->meta, record->content);
        const auto decoded = agent::decode_record(again);
        if (!decoded || !(decoded->meta == record->meta) || decoded->content != record->content)
            std::abort();
    }

    static const Bytes key(32, 0x42);
    static const agent::PayloadCipher cipher(key, "00000000-0000-4000-8000-000000000001");
    if (size >= 24) {
        const auto opened = cipher.open("fuzz-state-key", input.first(24), input.subspan(24));
        (void)opened;
    }
    return 0;
}
