#include "base/bytes.h"

#include <gtest/gtest.h>

namespace quartet {
namespace {

TEST(BytesTest, Base64RoundTripAndRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(AsBytes("")), "");
  EXPECT_EQ(Base64Encode(AsBytes("f")), "Zg==");
  EXPECT_EQ(Base64Encode(AsBytes("fo")), "Zm8=");
  EXPECT_EQ(Base64Encode(AsBytes("foobar")), "Zm9vYmFy");
  auto decoded = Base64Decode("Zm9vYg==");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(AsChars(*decoded), "foob");
}

TEST(BytesTest, Base64RefusesNonCanonicalText) {
  EXPECT_FALSE(Base64Decode("Zg=").ok());        // missing padding
  EXPECT_FALSE(Base64Decode("Zh==").ok());       // non-zero trailing bits
  EXPECT_FALSE(Base64Decode("Zm9v YmFy").ok());  // white space
  EXPECT_FALSE(Base64Decode("Zm9v$mFy").ok());
  // Regression: libsodium 1.0.18 read bytes from 0x80 up as '/', giving one value two texts.
  EXPECT_FALSE(Base64Decode("AB\xbf"
                            "A")
                   .ok());
  EXPECT_TRUE(Base64Decode("AB/A").ok());
}

TEST(BytesTest, Hex) {
  EXPECT_EQ(HexEncode(AsBytes("\x01\xab")), "01ab");
  EXPECT_FALSE(HexDecode("0").ok());
  EXPECT_FALSE(HexDecode("zz").ok());
  EXPECT_EQ(HexDecode("01AB")->size(), 2u);
}

TEST(BytesTest, ParseDecimal) {
  EXPECT_EQ(*ParseDecimal("0"), 0u);
  EXPECT_EQ(*ParseDecimal("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(ParseDecimal("18446744073709551616").ok());
  EXPECT_FALSE(ParseDecimal("01").ok());
  EXPECT_FALSE(ParseDecimal("-1").ok());
  EXPECT_FALSE(ParseDecimal("").ok());
}

TEST(BytesTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals(AsBytes("abc"), AsBytes("abc")));
  EXPECT_FALSE(ConstantTimeEquals(AsBytes("abc"), AsBytes("abd")));
  EXPECT_FALSE(ConstantTimeEquals(AsBytes("abc"), AsBytes("ab")));
}

}  // namespace
}  // namespace quartet
