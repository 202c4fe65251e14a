#include <iostream>

#include "driver/cli.hpp"

int main(int argc, char** argv) {
    return anec::driver::runCli(argc, argv, std::cout, std::cerr);
}
