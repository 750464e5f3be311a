#include "agent/agent_state.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "agent/state_dir.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::agent {

using nlohmann::json;

namespace {

std::runtime_error bad_file(const std::filesystem::path& f, const std::string& why) {
    return std::runtime_error(f.string() + ": " + why);
}

json read_json(const std::filesystem::path& f) {
    const auto raw = read_secret_file(f);
    if (!raw) throw bad_file(f, "missing (is this agent enrolled? run `edgesync-agent enroll`)");
    const std::string_view text(reinterpret_cast<const char*>(raw->data()), raw->size());
    auto j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) throw bad_file(f, "not a JSON object");
    return j;
}

void write_json(const std::filesystem::path& f, const json& j) {
    const std::string text = j.dump(2) + "\n";
    write_secret_file(
        f, crypto::ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::string text(const json& j, const char* name, const std::filesystem::path& f,
                 bool required = true) {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_string()) {
        if (!required) return {};
        throw bad_file(f, std::string("'") + name + "' is missing or not a string");
    }
    return it->get<std::string>();
}

}  // namespace

bool AgentState::enrolled() const { return std::filesystem::exists(file("config.json")); }

AgentConfig AgentState::load_config() const {
    const auto f = file("config.json");
    const auto j = read_json(f);
    AgentConfig c;
    c.version = j.value("version", 0);
    if (c.version != 1) throw bad_file(f, "unsupported version (a newer agent wrote it?)");
    c.server = text(j, "server", f);
    c.email = text(j, "email", f);
    c.account_id = text(j, "account_id", f);
    c.device_id = text(j, "device_id", f);
    c.device_name = text(j, "device_name", f, false);
    c.sync_dir = text(j, "sync_dir", f);
    c.password_file = text(j, "password_file", f, false);
    if (!c.sync_dir.is_absolute()) throw bad_file(f, "'sync_dir' must be an absolute path");
    return c;
}

void AgentState::save_config(const AgentConfig& c) const {
    ensure_private_dir(m_dir);
    write_json(file("config.json"), {{"version", c.version},
                                     {"server", c.server},
                                     {"email", c.email},
                                     {"account_id", c.account_id},
                                     {"device_id", c.device_id},
                                     {"device_name", c.device_name},
                                     {"sync_dir", c.sync_dir.string()},
                                     {"password_file", c.password_file.string()}});
}

Tokens AgentState::load_tokens() const {
    const auto f = file("tokens.json");
    try {
        return Tokens::from_json(read_json(f));
    } catch (const std::invalid_argument& e) {
        throw bad_file(f, e.what());
    }
}

void AgentState::save_tokens(const Tokens& tokens) const {
    ensure_private_dir(m_dir);
    write_json(file("tokens.json"), tokens.to_json());
}

crypto::BoxKeyPair AgentState::load_device_key() const {
    const auto f = file("device.key");
    const auto raw = read_secret_file(f);
    if (!raw) throw bad_file(f, "missing (is this agent enrolled? run `edgesync-agent enroll`)");
    if (raw->size() != crypto::k_box_secret_key_bytes)
        throw bad_file(f, "not a 32-byte X25519 secret key");
    return crypto::box_keypair_from_secret(*raw);
}

void AgentState::save_device_key(const crypto::BoxKeyPair& pair) const {
    ensure_private_dir(m_dir);
    write_secret_file(file("device.key"), pair.secret_key);
}

std::optional<AccountKeyFile> AgentState::load_account_key() const {
    const auto f = file("account.key");
    if (!std::filesystem::exists(f)) return std::nullopt;
    const auto j = read_json(f);
    Bytes key;
    if (!base64_decode(text(j, "key", f), key) || key.size() != 32)
        throw bad_file(f, "'key' is not base64 of 32 bytes");
    AccountKeyFile out{crypto::SecretBytes(crypto::ByteView(key.data(), key.size())),
                       j.value("key_version", 0)};
    std::fill(key.begin(), key.end(), std::uint8_t{0});
    if (out.key_version < 1) throw bad_file(f, "'key_version' must be >= 1");
    return out;
}

void AgentState::save_account_key(const AccountKeyFile& k) const {
    ensure_private_dir(m_dir);
    write_json(file("account.key"),
               {{"key", base64_encode(k.key.to_bytes())}, {"key_version", k.key_version}});
}

}  // namespace edgesync::agent
