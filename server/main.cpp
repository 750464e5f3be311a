// edgesync-server: the EdgeSync HTTP API. Everything lives in app.cpp and
// below; main only turns an escaped error into one line and an exit code.
#include <fmt/format.h>

#include <exception>

#include "server/app.hpp"
#include "shared/util/error.hpp"

int main(int argc, char** argv) {
    try {
        return edgesync::server::run_server(argc, argv);
    } catch (const edgesync::Error& e) {
        fmt::print(stderr, "edgesync-server: error: {}\n", e.what());
        return static_cast<int>(e.code());
    } catch (const std::exception& e) {
        fmt::print(stderr, "edgesync-server: error: {}\n", e.what());
        return static_cast<int>(edgesync::ExitCode::failure);
    }
}
