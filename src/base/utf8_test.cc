#include "base/utf8.h"

#include <string>

#include <gtest/gtest.h>

namespace quartet {
namespace {

// The code point `text` holds, all of it, or -1 if it is not exactly one well-formed encoding.
int64_t Decoded(std::string_view text) {
  const std::optional<CodePoint> code_point = DecodeUtf8(text);
  if (!code_point || code_point->length != text.size()) return -1;
  return code_point->value;
}

TEST(Utf8Test, DecodesTheSmallestAndLargestOfEachLength) {
  EXPECT_EQ(Decoded(std::string(1, '\0')), 0x00);
  EXPECT_EQ(Decoded("\x7F"), 0x7F);
  EXPECT_EQ(Decoded("\xC2\x80"), 0x80);
  EXPECT_EQ(Decoded("\xDF\xBF"), 0x7FF);
  EXPECT_EQ(Decoded("\xE0\xA0\x80"), 0x800);
  EXPECT_EQ(Decoded("\xEF\xBF\xBF"), 0xFFFF);
  EXPECT_EQ(Decoded("\xF0\x90\x80\x80"), 0x10000);
  EXPECT_EQ(Decoded("\xF4\x8F\xBF\xBF"), 0x10FFFF);
}

TEST(Utf8Test, RefusesOverlongForms) {
  EXPECT_EQ(Decoded("\xC0\x80"), -1);  // U+0000 in two bytes
  EXPECT_EQ(Decoded("\xC1\xBF"), -1);  // U+007F in two bytes
  EXPECT_EQ(Decoded("\xE0\x80\x80"), -1);
  EXPECT_EQ(Decoded("\xE0\x9F\xBF"), -1);  // U+07FF in three bytes
  EXPECT_EQ(Decoded("\xF0\x80\x80\x80"), -1);
  EXPECT_EQ(Decoded("\xF0\x8F\xBF\xBF"), -1);  // U+FFFF in four bytes
}

TEST(Utf8Test, RefusesSurrogatesButNotTheirNeighbours) {
  EXPECT_EQ(Decoded("\xED\x9F\xBF"), 0xD7FF);
  EXPECT_EQ(Decoded("\xED\xA0\x80"), -1);  // U+D800
  EXPECT_EQ(Decoded("\xED\xBF\xBF"), -1);  // U+DFFF
  EXPECT_EQ(Decoded("\xEE\x80\x80"), 0xE000);
}

TEST(Utf8Test, RefusesAnythingBeyondU10FFFF) {
  EXPECT_EQ(Decoded("\xF4\x90\x80\x80"), -1);  // U+110000
  EXPECT_EQ(Decoded("\xF5\x80\x80\x80"), -1);
  EXPECT_EQ(Decoded("\xF7\xBF\xBF\xBF"), -1);
  EXPECT_EQ(Decoded("\xF8\x88\x80\x80\x80"), -1);  // the five-byte forms of RFC 2279
  EXPECT_EQ(Decoded("\xFE"), -1);
  EXPECT_EQ(Decoded("\xFF"), -1);
}

TEST(Utf8Test, RefusesStrayAndMissingContinuationBytes) {
  EXPECT_EQ(Decoded("\x80"), -1);
  EXPECT_EQ(Decoded("\xBF"), -1);
  EXPECT_EQ(Decoded("\xC2"), -1);          // truncated
  EXPECT_EQ(Decoded("\xE2\x82"), -1);      // truncated
  EXPECT_EQ(Decoded("\xF0\x9F\x98"), -1);  // truncated
  EXPECT_EQ(Decoded("\xE2\x28\xA1"), -1);  // an ASCII byte where a continuation belongs
  EXPECT_EQ(Decoded("\xC2\xC2\x80"), -1);  // a lead byte where a continuation belongs
  EXPECT_FALSE(DecodeUtf8("").has_value());
}

TEST(Utf8Test, DecodesOnlyTheFirstCodePoint) {
  const auto code_point = DecodeUtf8("\xC3\xA9t\xC3\xA9");  // "été"
  ASSERT_TRUE(code_point.has_value());
  EXPECT_EQ(code_point->value, 0xE9u);
  EXPECT_EQ(code_point->length, 2u);
  // What follows the first code point does not matter to it.
  EXPECT_EQ(DecodeUtf8("a\xFF")->value, U'a');
}

TEST(Utf8Test, ValidatesWholeTexts) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ASCII"));
  EXPECT_TRUE(IsValidUtf8("\xE2\x80\x94 em dash, \xF0\x9F\x94\x91 key, \xE6\x97\xA5\xE6\x9C\xAC"));
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));  // NUL is valid UTF-8
  EXPECT_FALSE(IsValidUtf8("ok until the end \xC3"));
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80\xED\xB0\x80"));  // a surrogate pair, as CESU-8 writes it
  EXPECT_FALSE(IsValidUtf8("Latin-1 caf\xE9"));
}

}  // namespace
}  // namespace quartet
