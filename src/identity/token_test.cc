#include "identity/token.h"

#include <string>

#include <gtest/gtest.h>

namespace quartet::identity {
namespace {

bool IsBase64UrlCharacter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

TEST(TokenTest, HasPrefixAnd43Base64UrlCharacters) {
  FakeRandom random(1);
  const IssuedToken issued = NewToken(random, "qt_");
  ASSERT_EQ(issued.token.size(), 3u + 43u);
  EXPECT_TRUE(issued.token.starts_with("qt_"));
  for (char c : issued.token.substr(3)) EXPECT_TRUE(IsBase64UrlCharacter(c)) << issued.token;
}

TEST(TokenTest, EmptyPrefixIsAllowed) {
  FakeRandom random(1);
  EXPECT_EQ(NewToken(random, "").token.size(), 43u);
}

TEST(TokenTest, DigestIsSha256OfWholeToken) {
  FakeRandom random(2);
  const IssuedToken issued = NewToken(random, "qt_");
  EXPECT_EQ(issued.digest, Sha256::Of(issued.token));
  EXPECT_EQ(issued.digest, TokenDigest(issued.token));
}

TEST(TokenTest, MatchesItsOwnDigest) {
  FakeRandom random(3);
  const IssuedToken issued = NewToken(random, "qt_");
  EXPECT_TRUE(TokenMatches(issued.token, issued.digest));
}

TEST(TokenTest, TwoTokensDiffer) {
  FakeRandom random(4);
  const IssuedToken first = NewToken(random, "qt_");
  const IssuedToken second = NewToken(random, "qt_");
  EXPECT_NE(first.token, second.token);
  EXPECT_NE(first.digest, second.digest);
  EXPECT_FALSE(TokenMatches(first.token, second.digest));
  EXPECT_FALSE(TokenMatches(second.token, first.digest));
}

TEST(TokenTest, SystemRandomTokensDiffer) {
  EXPECT_NE(NewToken(Random::System(), "qt_").token, NewToken(Random::System(), "qt_").token);
}

TEST(TokenTest, AnyOneCharacterChangeDoesNotMatch) {
  FakeRandom random(5);
  const IssuedToken issued = NewToken(random, "qt_");
  for (size_t i = 0; i < issued.token.size(); ++i) {
    std::string altered = issued.token;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(TokenMatches(altered, issued.digest)) << "position " << i;
  }
}

TEST(TokenTest, TruncatedOrExtendedDoesNotMatch) {
  FakeRandom random(6);
  const IssuedToken issued = NewToken(random, "qt_");
  EXPECT_FALSE(TokenMatches(issued.token.substr(0, issued.token.size() - 1), issued.digest));
  EXPECT_FALSE(TokenMatches(issued.token + "A", issued.digest));
  EXPECT_FALSE(TokenMatches(issued.token.substr(3), issued.digest));  // prefix dropped
  EXPECT_FALSE(TokenMatches("", issued.digest));
}

}  // namespace
}  // namespace quartet::identity
