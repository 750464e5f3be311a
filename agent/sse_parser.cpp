#include "agent/sse_parser.hpp"

#include <charconv>
#include <utility>

namespace edgesync::agent {

SseParser::SseParser(OnEvent on_event, std::size_t max_line_bytes)
    : m_on_event(std::move(on_event)), m_max_line(max_line_bytes) {}

bool SseParser::feed(std::string_view bytes) {
    if (m_broken) return false;
    for (const char c : bytes) {
        if (m_after_cr) {
            m_after_cr = false;
            if (c == '\n') continue;  // CRLF: the line ended at the CR
        }
        if (c == '\r' || c == '\n') {
            m_after_cr = c == '\r';
            line(m_line);
            m_line.clear();
            continue;
        }
        if (m_line.size() >= m_max_line) {
            m_broken = true;
            return false;
        }
        m_line.push_back(c);
    }
    return true;
}

void SseParser::line(std::string_view l) {
    if (l.empty()) {
        dispatch();
        return;
    }
    if (l.front() == ':') {
        ++m_comments;
        return;
    }
    std::string_view field = l;
    std::string_view value;
    if (const auto colon = l.find(':'); colon != std::string_view::npos) {
        field = l.substr(0, colon);
        value = l.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    if (field == "event") {
        m_event.assign(value);
    } else if (field == "data") {
        if (m_has_data) m_data.push_back('\n');
        m_data.append(value);
        m_has_data = true;
    } else if (field == "id") {
        if (value.find('\0') == std::string_view::npos) m_last_id.assign(value);
    } else if (field == "retry") {
        long ms = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
        if (ec == std::errc() && end == value.data() + value.size() && ms >= 0) m_retry_ms = ms;
    }
    // Unknown fields are ignored, as the spec says.
}

void SseParser::dispatch() {
    if (!m_has_data) {  // no data: nothing to dispatch; the type buffer resets
        m_event.clear();
        return;
    }
    SseEvent e{m_last_id, m_event.empty() ? "message" : std::move(m_event), std::move(m_data)};
    m_event.clear();
    m_data.clear();
    m_has_data = false;
    if (m_on_event) m_on_event(e);
}

}  // namespace edgesync::agent
