// trust_vectors FILE: writes the trust chain vectors (chain_vectors_testing.h) to FILE.
#include <cstdio>
#include <fstream>

#include "trust/chain_vectors_testing.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: trust_vectors FILE\n");
    return 2;
  }
  std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
  out << quartet::trust::ChainVectors().dump(1) << "\n";
  return out.good() ? 0 : 1;
}
