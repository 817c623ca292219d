#include "identity/password.h"

#include <sodium.h>

#include <string>

#include <gtest/gtest.h>

namespace quartet::identity {
namespace {

constexpr std::string_view kPassword = "correct horse battery staple";

// argon2id at the interactive cost takes 64 MiB and a noticeable fraction of a second: hash once.
class PasswordTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StatusOr<std::string> hashed = HashPassword(kPassword, PasswordCost::kInteractive);
    ASSERT_TRUE(hashed.ok()) << hashed.status().ToString();
    stored_hash_ = new std::string(*hashed);
  }
  static void TearDownTestSuite() {
    delete stored_hash_;
    stored_hash_ = nullptr;
  }
  static const std::string& stored_hash() { return *stored_hash_; }

 private:
  static std::string* stored_hash_;
};

std::string* PasswordTest::stored_hash_ = nullptr;

// A valid argon2id hash at libsodium's minimum cost, cheaper than either PasswordCost.
std::string WeakArgon2idHash(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  EXPECT_EQ(crypto_pwhash_str_alg(
                out, password.data(), password.size(), crypto_pwhash_argon2id_OPSLIMIT_MIN,
                crypto_pwhash_argon2id_MEMLIMIT_MIN, crypto_pwhash_ALG_ARGON2ID13),
            0);
  return out;
}

TEST_F(PasswordTest, HashIsArgon2idPhcString) {
  EXPECT_TRUE(stored_hash().starts_with("$argon2id$")) << stored_hash();
  EXPECT_NE(stored_hash().find("m=65536,t=2,p=1"), std::string::npos) << stored_hash();
}

TEST_F(PasswordTest, RoundTrip) { EXPECT_TRUE(VerifyPassword(stored_hash(), kPassword)); }

TEST_F(PasswordTest, WrongPasswordFails) {
  EXPECT_FALSE(VerifyPassword(stored_hash(), "correct horse battery stapler"));
  EXPECT_FALSE(VerifyPassword(stored_hash(), ""));
  EXPECT_FALSE(VerifyPassword(stored_hash(), std::string(kPassword) + '\0'));
}

TEST_F(PasswordTest, SaltsDiffer) {
  StatusOr<std::string> again = HashPassword(kPassword, PasswordCost::kInteractive);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*again, stored_hash());
  EXPECT_TRUE(VerifyPassword(*again, kPassword));
}

TEST_F(PasswordTest, MalformedStoredHashFailsWithoutCrashing) {
  const std::string& good = stored_hash();
  EXPECT_FALSE(VerifyPassword("", kPassword));
  EXPECT_FALSE(VerifyPassword("$argon2id$", kPassword));
  EXPECT_FALSE(VerifyPassword("not a hash at all", kPassword));
  EXPECT_FALSE(VerifyPassword(good.substr(0, good.size() - 5), kPassword));
  EXPECT_FALSE(VerifyPassword(good + "AAAA", kPassword));
  EXPECT_FALSE(VerifyPassword(std::string(good).insert(12, 1, '\0'), kPassword));
  EXPECT_FALSE(VerifyPassword(std::string(4096, '$'), kPassword));
  std::string bad_version = good;
  bad_version.replace(bad_version.find("v=19"), 4, "v=99");
  EXPECT_FALSE(VerifyPassword(bad_version, kPassword));
  EXPECT_FALSE(
      VerifyPassword("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", kPassword));
}

TEST_F(PasswordTest, NeedsRehashOnlyWhenCostDiffers) {
  EXPECT_FALSE(PasswordNeedsRehash(stored_hash(), PasswordCost::kInteractive));
  EXPECT_TRUE(PasswordNeedsRehash(stored_hash(), PasswordCost::kModerate));
}

TEST_F(PasswordTest, WeakerHashVerifiesButNeedsRehash) {
  const std::string weak = WeakArgon2idHash(kPassword);
  EXPECT_TRUE(VerifyPassword(weak, kPassword));
  EXPECT_TRUE(PasswordNeedsRehash(weak, PasswordCost::kInteractive));
  EXPECT_TRUE(PasswordNeedsRehash(weak, PasswordCost::kModerate));
}

TEST_F(PasswordTest, MalformedOrForeignHashNeedsRehash) {
  EXPECT_TRUE(PasswordNeedsRehash("", PasswordCost::kInteractive));
  EXPECT_TRUE(PasswordNeedsRehash("garbage", PasswordCost::kInteractive));
  std::string argon2i = stored_hash();
  argon2i.replace(0, 10, "$argon2i$");
  EXPECT_TRUE(PasswordNeedsRehash(argon2i, PasswordCost::kInteractive));
}

TEST(HashPasswordTest, RefusesOverlongPassword) {
  StatusOr<std::string> hashed =
      HashPassword(std::string(kMaxPasswordBytes + 1, 'x'), PasswordCost::kInteractive);
  ASSERT_FALSE(hashed.ok());
  EXPECT_EQ(hashed.status().code(), StatusCode::kInvalidArgument);
}

TEST(PasswordPolicyTest, AcceptsReasonablePasswords) {
  EXPECT_TRUE(CheckPasswordPolicy("correct horse battery staple").ok());
  EXPECT_TRUE(CheckPasswordPolicy("aaaaaaaaaaab").ok());
  EXPECT_TRUE(CheckPasswordPolicy(std::string(kMaxPasswordBytes - 1, 'x') + "y").ok());
  // 12 code points in 24 bytes of Cyrillic.
  EXPECT_TRUE(CheckPasswordPolicy("пароль-парол").ok());
}

TEST(PasswordPolicyTest, CountsCodePointsNotBytes) {
  // 11 code points, 33 bytes.
  const Status status = CheckPasswordPolicy("日本語のパスワードです");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("at least 12 characters"), std::string::npos);
  // 12 code points including a 4-byte one.
  EXPECT_TRUE(CheckPasswordPolicy("日本語のパスワードです\xF0\x9F\x94\x91").ok());
}

TEST(PasswordPolicyTest, RefusesShort) {
  const Status status = CheckPasswordPolicy("elevenchars");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("at least 12 characters"), std::string::npos);
  EXPECT_EQ(CheckPasswordPolicy("").code(), StatusCode::kInvalidArgument);
}

TEST(PasswordPolicyTest, RefusesOverlong) {
  const Status status = CheckPasswordPolicy(std::string(kMaxPasswordBytes, 'x') + "y");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("at most 1024 bytes"), std::string::npos);
}

TEST(PasswordPolicyTest, RefusesOneRepeatedCharacter) {
  const Status status = CheckPasswordPolicy("aaaaaaaaaaaaaaaa");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("single character repeated"), std::string::npos);
  EXPECT_EQ(CheckPasswordPolicy("éééééééééééé").code(), StatusCode::kInvalidArgument);
}

TEST(PasswordPolicyTest, RefusesMalformedUtf8) {
  const std::string_view bad[] = {
      "abcdefghijk\xFF",              // not a lead byte
      "abcdefghijk\xC3",              // truncated sequence
      "abcdefghijk\xC0\xAF",          // overlong '/'
      "abcdefghijk\xED\xA0\x80",      // surrogate U+D800
      "abcdefghijk\xF4\x90\x80\x80",  // above U+10FFFF
      "abcdefghijk\x80",              // stray continuation byte
  };
  for (std::string_view password : bad) {
    const Status status = CheckPasswordPolicy(password);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("UTF-8"), std::string::npos);
  }
}

TEST(PasswordPolicyTest, MessagesNeverQuoteThePassword) {
  for (std::string_view password : {"hunter2", "zzzzzzzzzzzzzzzzzzzz", "secret-part\xFF"}) {
    const Status status = CheckPasswordPolicy(password);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.message().find(password), std::string::npos);
  }
}

}  // namespace
}  // namespace quartet::identity
