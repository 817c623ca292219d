#include "ssh/wire.h"

#include <gtest/gtest.h>

namespace quartet::ssh {
namespace {

TEST(SshWireTest, WritesBigEndianIntegersAndStrings) {
  Bytes out;
  PutUint32(out, 0x01020304);
  PutUint64(out, 0x05060708090a0b0c);
  PutString(out, "ab");
  EXPECT_EQ(HexEncode(out),
            "01020304"
            "05060708090a0b0c"
            "000000026162");

  WireReader reader(out);
  EXPECT_EQ(*reader.ReadUint32(), 0x01020304u);
  EXPECT_EQ(*reader.ReadUint64(), 0x05060708090a0b0cu);
  EXPECT_EQ(*reader.ReadText(), "ab");
  EXPECT_TRUE(reader.empty());
  EXPECT_TRUE(reader.ExpectEnd("test").ok());
}

TEST(SshWireTest, RefusesTruncationWithoutConsuming) {
  const Bytes data = {0, 0, 0, 5, 'a', 'b'};  // claims 5 bytes, holds 2
  WireReader reader(data);
  EXPECT_EQ(reader.ReadString().status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reader.ReadUint64().status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*reader.ReadUint32(), 5u);  // nothing was consumed by the failed reads
  EXPECT_FALSE(reader.ExpectEnd("test").ok());
}

TEST(SshWireTest, RefusesHugeLengthAndNulInText) {
  const Bytes huge = {0xff, 0xff, 0xff, 0xff, 'a'};
  EXPECT_FALSE(WireReader(huge).ReadString().ok());
  const Bytes nul = {0, 0, 0, 3, 'a', 0, 'b'};
  EXPECT_TRUE(WireReader(nul).ReadString().ok());
  EXPECT_FALSE(WireReader(nul).ReadText().ok());
}

TEST(SshWireTest, ExpectStringNamesWhatDiffers) {
  Bytes data;
  PutString(data, "ssh-rsa");
  WireReader reader(data);
  const Status status = reader.ExpectString("ssh-ed25519", "the key type");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("the key type"), std::string::npos);
}

}  // namespace
}  // namespace quartet::ssh
