// testdata/trust/chains.json is what the trust chain's rules say today: the vectors the browser's
// replayer (web/test/trust.test.mjs) is tested against. A change of the rules fails here until the
// file is written anew (build/default/src/trust/trust_vectors testdata/trust/chains.json), and
// then the browser's test until web/js/trust.js follows.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "trust/chain.h"
#include "trust/chain_vectors_testing.h"

namespace quartet::trust {
namespace {

TEST(ChainVectorsTest, TheCommittedVectorsAreWhatTheChainSaysToday) {
  const char* source = std::getenv("QUARTET_SOURCE_DIR");
  ASSERT_NE(source, nullptr) << "QUARTET_SOURCE_DIR is not set";
  std::ifstream in(std::string(source) + "/testdata/trust/chains.json", std::ios::binary);
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  const Json vectors = ChainVectors();
  EXPECT_TRUE(text.str() == vectors.dump(1) + "\n")
      << "testdata/trust/chains.json is out of date: write it anew with trust_vectors";
  // Every kind is in a chain that is accepted, and every case is one the chain decides as said.
  std::set<std::string> kinds;
  for (const Json& item : vectors["chains"]) {
    if (!item["expect"]["accepted"].get<bool>()) continue;
    for (const Json& statement : item["statements"])
      kinds.insert(Statement::Parse(statement.get<std::string>())->kind);
  }
  EXPECT_EQ(kinds.size(), std::size(kKinds));
}

}  // namespace
}  // namespace quartet::trust
