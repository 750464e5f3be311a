#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>

#include "server/connection_tracker.hpp"
#include "server/http_types.hpp"

namespace edgesync::server {

// What an HTTP connection hands to the stream that takes it over (see
// StreamUpgrade in http_types.hpp). Asio, not Beast: the stream files decide
// which Beast parts they need.
struct StreamHandoff {
    // Its executor is the connection's strand; every step of the stream runs on it.
    boost::asio::ip::tcp::socket socket;
    // Bytes received after the request that opened the stream (normally none).
    std::string buffered;
    // Counts against SERVER_MAX_CONNECTIONS until destroyed; the stream
    // rebind()s it to itself so that shutdown reaches it.
    ConnectionTracker::Slot slot;
    // The request that opened the stream (a WebSocket upgrade is accepted from it).
    Request request;
    // Response headers made so far (X-Request-Id): the stream sends them.
    Headers headers;
    std::string remote_address;
};

}  // namespace edgesync::server
