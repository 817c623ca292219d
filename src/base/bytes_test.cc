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

TEST(BytesTest, BigEndianIntegersRoundTrip) {
  Bytes out;
  AppendBigEndian32(out, 0x01020304);
  AppendBigEndian64(out, 0x05060708090a0b0c);
  EXPECT_EQ(HexEncode(out), "0102030405060708090a0b0c");
  EXPECT_EQ(ReadBigEndian32(out.data()), 0x01020304u);
  EXPECT_EQ(ReadBigEndian64(out.data() + 4), 0x05060708090a0b0cu);
  std::string text;
  AppendBigEndian16(text, 0xfffe);
  AppendBigEndian64(text, ~uint64_t{0});
  EXPECT_EQ(HexEncode(AsBytes(text)), "fffeffffffffffffffff");
  EXPECT_EQ(ReadBigEndian16(AsBytes(text).data()), 0xfffeu);
  EXPECT_EQ(ReadBigEndian64(AsBytes(text).data() + 2), ~uint64_t{0});
  // The top bit of every width is read unsigned.
  const uint8_t high[] = {0x80, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(ReadBigEndian16(high), 0x8000u);
  EXPECT_EQ(ReadBigEndian32(high), 0x80000000u);
  EXPECT_EQ(ReadBigEndian64(high), 0x8000000000000001u);
}

}  // namespace
}  // namespace quartet
