#pragma once

#include <boost/asio/ip/tcp.hpp>

namespace edgesync::server {

class ConnectionTracker;
class Dispatcher;
class WorkerPool;
struct HttpLimits;

// What every connection shares. Owned by App; outlives every session.
struct SessionServices {
    const HttpLimits& limits;
    const Dispatcher& dispatcher;
    WorkerPool& workers;
    ConnectionTracker& tracker;
};

// Serves HTTP/1.1 on an accepted socket until the connection ends. The
// socket's executor must be a strand (async_accept(make_strand(ioc))): every
// step of the session runs on it. Declared here without Beast so that only
// http_session.cpp pays for Beast's headers.
//
// Per connection: admission against max_connections (503 too_many_connections
// and close when over it); keep-alive with SERVER_IDLE_TIMEOUT between
// requests; the header must arrive within SERVER_READ_TIMEOUT of its first
// byte (a slow client is dropped, no response); header_limit (431); the route's
// body limit checked against Content-Length before reading the body (413) and
// while reading a chunked one; Expect: 100-continue answered only once the
// body is acceptable; the body within SERVER_BODY_TIMEOUT; blocking routes run
// on the worker pool and their result is posted back to the strand; one
// response written at a time, within SERVER_WRITE_TIMEOUT; a response sent
// without reading the whole request is followed by a lingering close.
void start_http_session(boost::asio::ip::tcp::socket socket, SessionServices& services);

}  // namespace edgesync::server
