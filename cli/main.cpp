// edgesync: the admin CLI. Command groups live one per file (cli/cmd_*.cpp).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "shared/version.hpp"

int main(int argc, char** argv) {
    CLI::App app{"edgesync: EdgeSync administration (migrations, accounts, devices, sessions)"};
    app.set_version_flag("--version", std::string("edgesync ") + edgesync::k_version);
    CLI11_PARSE(app, argc, argv);
    return 0;
}
