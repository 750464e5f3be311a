#include <gtest/gtest.h>

#include <random>

#include "agent/content_hash.hpp"
#include "agent/payload.hpp"
#include "shared/crypto/account_key.hpp"
#include "shared/crypto/aead.hpp"
#include "tests/unit/crypto_test_helpers.hpp"

namespace edgesync::agent {
namespace {

FileMeta meta_for(std::string path) {
    FileMeta meta;
    meta.path = std::move(path);
    meta.mode = 0644;
    meta.mtime_ns = 1'732'000'000'123'456'789;
    return meta;
}

class AgentPayload : public ::testing::Test {
  protected:
    crypto::SecretBytes m_account_key = crypto::generate_account_key();
    PayloadCipher m_cipher{m_account_key, "acc-1"};
    Bytes m_content = to_bytes(std::string_view("hello \xE4\xB8\x96\0binary", 16));
};

TEST(AgentPayloadRecord, RoundTripsEveryField) {
    const Bytes content = to_bytes(std::string_view("bytes\0with nul", 14));
    auto meta = meta_for("docs/\xC3\xA9t\xC3\xA9/report.pdf");
    meta.mode = 0755;
    meta.mtime_ns = -5;  // before 1970 survives too
    const auto decoded = decode_record(encode_record(meta, content));
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    EXPECT_EQ(decoded->meta.path, meta.path);
    EXPECT_EQ(decoded->meta.mode, 0755U);
    EXPECT_EQ(decoded->meta.mtime_ns, -5);
    EXPECT_EQ(decoded->meta.size, content.size());
    EXPECT_EQ(decoded->meta.content_hash, content_hash(content));
    EXPECT_EQ(decoded->content, content);
}

TEST(AgentPayloadRecord, EmptyFileRoundTrips) {
    const auto decoded = decode_record(encode_record(meta_for("empty"), {}));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->meta.size, 0U);
    EXPECT_TRUE(decoded->content.empty());
}

TEST(AgentPayloadRecord, EncodeRejectsNonCanonicalPathAndBadMode) {
    EXPECT_THROW((void)encode_record(meta_for("../etc/passwd"), {}), std::invalid_argument);
    EXPECT_THROW((void)encode_record(meta_for("/abs"), {}), std::invalid_argument);
    auto meta = meta_for("a");
    meta.mode = 010644;  // file type bits are not part of the format
    EXPECT_THROW((void)encode_record(meta, {}), std::invalid_argument);
}

TEST(AgentPayloadRecord, EveryTruncationIsRejectedAsMalformed) {
    const auto record = encode_record(meta_for("dir/file.txt"), to_bytes("content"));
    for (std::size_t n = 0; n < record.size(); ++n) {
        const auto decoded = decode_record(crypto::ByteView(record).first(n));
        ASSERT_FALSE(decoded.has_value()) << "prefix of " << n << " bytes accepted";
        EXPECT_EQ(decoded.error().kind, PayloadError::Kind::malformed);
    }
}

TEST(AgentPayloadRecord, TrailingBytesAreRejected) {
    auto record = encode_record(meta_for("a"), to_bytes("x"));
    record.push_back(0);
    const auto decoded = decode_record(record);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_EQ(decoded.error().kind, PayloadError::Kind::malformed);
}

TEST(AgentPayloadRecord, NewerFormatVersionIsReportedAsUnsupported) {
    auto record = encode_record(meta_for("a"), to_bytes("x"));
    record[0] = 2;
    const auto decoded = decode_record(record);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_EQ(decoded.error().kind, PayloadError::Kind::unsupported_version);
}

TEST(AgentPayloadRecord, TraversalPathInsideARecordIsRejected) {
    // Hand-built record: a path a malicious writer could try to smuggle in.
    auto record = encode_record(meta_for("aa/bb"), {});
    record[4] = '.';
    record[5] = '.';  // "../bb"
    const auto decoded = decode_record(record);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_EQ(decoded.error().kind, PayloadError::Kind::malformed);
}

TEST(AgentPayloadRecord, ContentNotMatchingItsHashIsRejected) {
    auto record = encode_record(meta_for("a"), to_bytes("content"));
    record.back() ^= 1;
    const auto decoded = decode_record(record);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_EQ(decoded.error().kind, PayloadError::Kind::malformed);
}

TEST(AgentPayloadRecord, RandomInputNeverCrashes) {
    std::mt19937 rng(12345);
    const auto valid = encode_record(meta_for("some/path"), to_bytes("content"));
    for (int round = 0; round < 5000; ++round) {
        Bytes input = valid;
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; ++e)
            input[rng() % input.size()] = static_cast<std::uint8_t>(rng());
        if (rng() % 3 == 0) input.resize(rng() % (input.size() + 1));
        (void)decode_record(input);  // must return, valid or not
    }
    SUCCEED();
}

TEST_F(AgentPayload, SealedPayloadOpensUnderItsStateKey) {
    const auto meta = meta_for("photos/cat.jpg");
    const auto sealed = m_cipher.seal(meta, m_content);
    EXPECT_EQ(sealed.nonce.size(), crypto::k_aead_nonce_bytes);
    const auto opened =
        m_cipher.open(m_cipher.state_key(meta.path), sealed.nonce, sealed.ciphertext);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    EXPECT_EQ(opened->meta.path, meta.path);
    EXPECT_EQ(opened->content, m_content);
}

TEST_F(AgentPayload, CiphertextRevealsNeitherPathNorContent) {
    const auto sealed = m_cipher.seal(meta_for("secret-name.txt"), to_bytes("secret-content"));
    const std::string blob = to_string(sealed.ciphertext);
    EXPECT_EQ(blob.find("secret-name"), std::string::npos);
    EXPECT_EQ(blob.find("secret-content"), std::string::npos);
}

TEST_F(AgentPayload, EveryFlippedBitFailsToOpen) {
    const auto meta = meta_for("a.txt");
    const auto sealed = m_cipher.seal(meta, to_bytes("abc"));
    const auto key = m_cipher.state_key(meta.path);
    for (std::size_t bit = 0; bit < sealed.ciphertext.size() * 8; bit += 7) {
        const auto opened =
            m_cipher.open(key, sealed.nonce, test::flip_bit(sealed.ciphertext, bit));
        ASSERT_FALSE(opened.has_value());
        EXPECT_EQ(opened.error().kind, PayloadError::Kind::undecryptable);
    }
    EXPECT_FALSE(m_cipher.open(key, test::flip_bit(sealed.nonce, 3), sealed.ciphertext));
}

TEST_F(AgentPayload, BlobMovedToAnotherStateKeyFailsToOpen) {
    const auto sealed = m_cipher.seal(meta_for("a.txt"), to_bytes("abc"));
    const auto opened = m_cipher.open(m_cipher.state_key("b.txt"), sealed.nonce, sealed.ciphertext);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().kind, PayloadError::Kind::undecryptable);
}

TEST_F(AgentPayload, BlobMovedToAnotherAccountFailsToOpen) {
    const PayloadCipher other_account(m_account_key, "acc-2");
    const auto sealed = m_cipher.seal(meta_for("a.txt"), to_bytes("abc"));
    EXPECT_FALSE(other_account.open(m_cipher.state_key("a.txt"), sealed.nonce, sealed.ciphertext));
}

TEST_F(AgentPayload, OtherAccountKeyFailsToOpen) {
    const PayloadCipher other_key(crypto::generate_account_key(), "acc-1");
    const auto sealed = m_cipher.seal(meta_for("a.txt"), to_bytes("abc"));
    const auto opened =
        other_key.open(m_cipher.state_key("a.txt"), sealed.nonce, sealed.ciphertext);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().kind, PayloadError::Kind::undecryptable);
}

TEST_F(AgentPayload, RecordStoredUnderTheWrongStateKeyIsRejected) {
    // A writer holding AK encrypts "a.txt" but binds it to b.txt's key.
    const auto record = encode_record(meta_for("a.txt"), to_bytes("abc"));
    const auto wrong_key = m_cipher.state_key("b.txt");
    const auto sealed = crypto::seal(crypto::derive_blob_key(m_account_key), record,
                                     crypto::blob_associated_data("acc-1", wrong_key));
    const auto opened = m_cipher.open(wrong_key, sealed.nonce, sealed.ciphertext);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().kind, PayloadError::Kind::wrong_state_key);
}

TEST_F(AgentPayload, StateKeyIsDeterministicPerAccountKey) {
    const PayloadCipher same_key(m_account_key, "acc-1");
    const PayloadCipher other_key(crypto::generate_account_key(), "acc-1");
    EXPECT_EQ(m_cipher.state_key("x/y"), same_key.state_key("x/y"));
    EXPECT_NE(m_cipher.state_key("x/y"), other_key.state_key("x/y"));
    EXPECT_NE(m_cipher.state_key("x/y"), m_cipher.state_key("x/z"));
}

TEST_F(AgentPayload, TwoSealsOfTheSameFileUseDifferentNonces) {
    const auto a = m_cipher.seal(meta_for("a"), to_bytes("x"));
    const auto b = m_cipher.seal(meta_for("a"), to_bytes("x"));
    EXPECT_NE(a.nonce, b.nonce);
    EXPECT_NE(a.ciphertext, b.ciphertext);
}

}  // namespace
}  // namespace edgesync::agent
