// `edgesync-agent enroll` (issue #5; docs/agent.md, Enroll): registers this
// device with a new key pair, writes the state directory, then gets the
// account key (enrollment.hpp). Run again on a device that is still waiting
// for its key, it only does the key step.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>

#include "agent/agent_state.hpp"
#include "agent/commands.hpp"
#include "agent/enrollment.hpp"
#include "agent/exit_codes.hpp"
#include "agent/fingerprint.hpp"
#include "agent/http_client.hpp"
#include "agent/state_dir.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::agent {

namespace {

namespace fs = std::filesystem;

int fail(int code, const std::string& message) {
    fmt::print(stderr, "edgesync-agent: error: {}\n", message);
    return code;
}

std::string without_trailing_slashes(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

std::string lower(std::string s) {
    std::ranges::transform(s, s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string host_name() {
    std::array<char, 256> buf{};
    if (::gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0') return "edgesync-agent";
    return buf.data();
}

fs::path absolute_path(const fs::path& p) { return fs::absolute(p).lexically_normal(); }

struct Inputs {
    std::string server;
    std::string password;
    KeyStepOptions key_step;
    fs::path sync_dir;
    fs::path password_file;
};

// The enrollment already in `state`: same server, email and folder resumes
// the key step; anything else is refused (one state directory, one device).
int resume(const AgentState& state, const Inputs& in, const EnrollOptions& options) {
    const auto config = state.load_config();
    if (without_trailing_slashes(config.server) != in.server ||
        lower(config.email) != lower(options.email) || config.sync_dir != in.sync_dir) {
        return fail(2,
                    fmt::format("{} is already enrolled as device {} for {} at {} (folder {}): use "
                                "another --state-dir to enroll another folder or account",
                                state.dir().string(), config.device_id, config.email, config.server,
                                config.sync_dir.string()));
    }
    if (state.load_account_key()) {
        fmt::print("Already enrolled: device {} ({}) for {} at {}, holding the account key.\n",
                   config.device_name, config.device_id, config.email, config.server);
        return 0;
    }
    fmt::print("Enrolled already as device {} ({}); getting the account key.\n", config.device_name,
               config.device_id);
    const auto device = state.load_device_key();
    return with_session(state, config, [&](ApiClient& api) {
        return obtain_account_key(api, state, config, device, in.key_step);
    });
}

int enroll_new(const AgentState& state, const Inputs& in, const EnrollOptions& options) {
    fs::create_directories(in.sync_dir);
    if (!fs::is_directory(in.sync_dir)) return fail(2, in.sync_dir.string() + " is not a folder");
    ensure_private_dir(state.dir());

    // The secret key is on disk before its public half is sent anywhere.
    const auto device = crypto::generate_box_keypair();
    state.save_device_key(device);
    AgentConfig config;
    config.server = in.server;
    config.email = options.email;
    config.device_name = options.device_name.empty() ? host_name() : options.device_name;
    config.sync_dir = in.sync_dir;
    config.password_file = in.password_file;

    HttpClient http;
    Tokens tokens;
    try {
        tokens = ApiClient::login(http, in.server, options.email, in.password,
                                  {{"device",
                                    {{"name", config.device_name},
                                     {"device_type", "agent"},
                                     {"public_key", base64_encode(device.public_key)}}}});
    } catch (const ApiError& e) {
        return fail(1, fmt::format("login failed: {}", e.what()));
    }
    state.save_tokens(tokens);
    config.account_id = tokens.account_id;
    config.device_id = tokens.device_id;
    state.save_config(config);  // last: config.json is what makes the directory "enrolled"
    fmt::print(
        "Enrolled this device as {} ({}) for {} at {}.\n"
        "  folder:      {}\n"
        "  state:       {}\n"
        "  fingerprint: {}\n",
        config.device_name, config.device_id, config.email, config.server, config.sync_dir.string(),
        state.dir().string(), device_fingerprint(device.public_key));
    std::fflush(stdout);

    ApiClient api(in.server, tokens, [&state](const Tokens& t) { state.save_tokens(t); });
    return obtain_account_key(api, state, config, device, in.key_step);
}

int enroll_checked(const GlobalOptions& global, const EnrollOptions& options) {
    Inputs in;
    in.server = without_trailing_slashes(options.server);
    if (!in.server.starts_with("http://") && !in.server.starts_with("https://"))
        return fail(2, "--server must be an http:// or https:// URL");
    in.password_file = absolute_path(options.password_file);
    in.password = read_secret_line(in.password_file);
    if (!options.recovery_passphrase_file.empty()) {
        in.key_step.recovery_passphrase = read_secret_line(options.recovery_passphrase_file);
        if (const auto problem = passphrase_problem(*in.key_step.recovery_passphrase, in.password))
            return fail(2, *problem);
    }
    in.key_step.wait_for_approval = options.wait_for_approval;
    in.sync_dir = absolute_path(options.sync_dir);

    const AgentState state(global.state_dir);
    if (state.enrolled()) return resume(state, in, options);
    return enroll_new(state, in, options);
}

}  // namespace

int enroll(const GlobalOptions& global, const EnrollOptions& options) {
    try {
        return enroll_checked(global, options);
    } catch (const DeviceRevoked&) {
        return fail(k_exit_revoked,
                    "this device was revoked: remove the state directory and enroll again");
    } catch (const ApiError& e) {
        return fail(1, fmt::format("the server refused: {}", e.what()));
    } catch (const TransportError& e) {
        return fail(5, fmt::format("cannot reach the server: {}", e.what()));
    }
}

}  // namespace edgesync::agent
