#include "base/sha256.h"

#include <gtest/gtest.h>

namespace quartet {
namespace {

TEST(Sha256Test, KnownAnswers) {
  EXPECT_EQ(HexEncode(Sha256::Of("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexEncode(Sha256::Of("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, ContextIsReusable) {
  Sha256 sha;
  Hash first = sha.Update("a").Update("bc").Finish();
  Hash second = sha.Update("abc").Finish();
  EXPECT_EQ(first, second);
  EXPECT_EQ(first, Sha256::Of("abc"));
}

}  // namespace
}  // namespace quartet
