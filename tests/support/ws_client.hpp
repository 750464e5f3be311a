#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tests/support/http_client.hpp"

// A small blocking WebSocket client (Boost.Beast) for end-to-end tests of
// GET /v1/ws. Beast stays in ws_client.cpp.
namespace edgesync::test {

struct WsMessage {
    bool closed = false;  // the server closed: close_code/close_reason say why
    std::string text;     // a text message when !closed
    int close_code = 0;   // 0 when the connection ended without a close frame
    std::string close_reason;
};

class WsClient {
  public:
    // Connects and performs the upgrade on `target` with extra `headers`.
    // Throws std::runtime_error when the handshake fails (handshake_status()
    // of a refused one is in the message: "... status 401 ...").
    WsClient(const std::string& host, std::uint16_t port, std::string_view target,
             const HttpHeaders& headers = {});
    ~WsClient();
    WsClient(const WsClient&) = delete;
    WsClient& operator=(const WsClient&) = delete;

    void send_text(std::string_view text);
    void send_binary(std::string_view bytes);
    // The next message or the close; throws std::runtime_error after `timeout`.
    [[nodiscard]] WsMessage read(std::chrono::milliseconds timeout);
    // Pings received so far (counted while read() runs; answered automatically).
    [[nodiscard]] int pings() const noexcept;
    // Reads until the server pings (true) or `timeout` (false). Ends the
    // connection: call it last.
    [[nodiscard]] bool wait_for_ping(std::chrono::milliseconds timeout);
    // Sends a close frame (code 1000) and waits for the server's.
    void close();

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// The status of an upgrade request the server refuses (e.g. 401), or 101.
[[nodiscard]] int ws_handshake_status(const std::string& host, std::uint16_t port,
                                      std::string_view target, const HttpHeaders& headers = {});

}  // namespace edgesync::test
