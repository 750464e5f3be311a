#pragma once

#include <memory>

#include "server/server_config.hpp"

namespace edgesync::server {

// The server process: pools, router, worker pool, I/O threads, listener,
// signal handling. Asio stays inside app.cpp.
class App {
  public:
    // Builds everything; connects to nothing yet. Throws std::invalid_argument
    // for an impossible route table (a programming error).
    explicit App(ServerConfig config);
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    // Binds, prints "edgesync-server: listening on HOST:PORT" on stdout, serves
    // until SIGINT or SIGTERM, then stops accepting, lets in-flight requests
    // finish (SERVER_SHUTDOWN_TIMEOUT) and returns 0. Throws Error when it
    // cannot listen.
    int run();

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// The whole program: command line, configuration, logging, schema check, App.
// Errors it cannot handle are thrown as edgesync::Error (main prints them).
[[nodiscard]] int run_server(int argc, char** argv);

}  // namespace edgesync::server
