#include "agent/sync_session.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <fstream>

#include "agent/http_client.hpp"

namespace edgesync::agent {

void setup_agent_logging(const std::string& level) {
    auto logger = spdlog::stderr_logger_mt("edgesync-agent");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    spdlog::set_level(spdlog::level::from_str(level));
    spdlog::flush_on(spdlog::level::trace);
}

namespace {

std::unique_ptr<ApiClient> make_client(const AgentState& state, const AgentConfig& config,
                                       Tokens tokens) {
    return std::make_unique<ApiClient>(config.server, std::move(tokens),
                                       [&state](const Tokens& t) { state.save_tokens(t); });
}

}  // namespace

SyncSession::SyncSession(const std::filesystem::path& state_dir)
    : state(state_dir), config(state.load_config()) {
    api = make_client(state, config, state.load_tokens());
}

bool login_again(SyncSession& session) {
    const auto& c = session.config;
    if (c.password_file.empty()) {
        spdlog::error(
            "the session of this device ended and there is no password file to log in again "
            "with: enroll again, or set password_file in {}",
            session.state.file("config.json").string());
        return false;
    }
    std::ifstream in(c.password_file);
    std::string password;
    if (!in || !std::getline(in, password) || password.empty()) {
        spdlog::error("the session ended and the password file {} cannot be read",
                      c.password_file.string());
        return false;
    }
    if (!password.empty() && password.back() == '\r') password.pop_back();
    HttpClient http;
    auto tokens = ApiClient::login(http, c.server, c.email, password, {{"device_id", c.device_id}});
    session.state.save_tokens(tokens);
    session.api = make_client(session.state, c, std::move(tokens));
    spdlog::info("the session had ended; logged in again as device {}", c.device_id);
    return true;
}

void log_revoked(const SyncSession& session) {
    spdlog::error("this device ({}) was revoked on the server: stopping for good",
                  session.config.device_id);
}

}  // namespace edgesync::agent
