#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace edgesync::agent {

// One dispatched Server-Sent Event (WHATWG HTML, "Parsing an event stream").
struct SseEvent {
    std::string id;     // the last `id:` seen (persists across events, as the spec says)
    std::string event;  // "message" when the event named none
    std::string data;   // `data:` lines joined by '\n'
};

// Incremental parser: feed() bytes as they arrive, in chunks of any size
// (a line, a field or a CRLF may be split anywhere). Lines end in CRLF, LF or
// CR. Comments (`: keep-alive`) dispatch nothing but count as activity. A
// field line longer than `max_line_bytes` (a broken or hostile server) makes
// feed() return false and the caller drops the connection.
class SseParser {
  public:
    using OnEvent = std::function<void(const SseEvent&)>;

    explicit SseParser(OnEvent on_event, std::size_t max_line_bytes = 8 << 20);

    // False when a line exceeded the limit (the parser is then unusable).
    [[nodiscard]] bool feed(std::string_view bytes);

    // The `retry:` reconnection delay the server asked for, if any.
    [[nodiscard]] std::optional<long> retry_ms() const noexcept { return m_retry_ms; }
    // The last event id (what to send as Last-Event-ID when reconnecting).
    [[nodiscard]] const std::string& last_event_id() const noexcept { return m_last_id; }
    // Comments seen so far (heartbeats).
    [[nodiscard]] std::size_t comments() const noexcept { return m_comments; }

  private:
    void line(std::string_view l);
    void dispatch();

    OnEvent m_on_event;
    std::size_t m_max_line;
    std::string m_line;       // the line being assembled
    bool m_after_cr = false;  // the previous byte was a CR (a following LF is part of it)
    std::string m_event;      // event type buffer
    std::string m_data;       // data buffer
    bool m_has_data = false;
    std::string m_last_id;
    std::optional<long> m_retry_ms;
    std::size_t m_comments = 0;
    bool m_broken = false;
};

}  // namespace edgesync::agent
