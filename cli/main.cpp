// edgesync: the admin CLI. The command tree lives in cli/app.cpp, one command
// group per file (cli/cmd_*.cpp), registered in cli/groups.hpp.
#include "cli/app.hpp"

int main(int argc, char** argv) { return edgesync::cli::run(argc, argv); }
