#include "identity/totp.h"

#include <string>

#include <gtest/gtest.h>

namespace quartet::identity {
namespace {

// RFC 6238 Appendix B: each algorithm's seed is "1234567890" repeated to its digest's length.
const std::string kSeedSha1 = "12345678901234567890";
const std::string kSeedSha256 = "12345678901234567890123456789012";
const std::string kSeedSha512 = "1234567890123456789012345678901234567890123456789012345678901234";

struct RfcVector {
  int64_t unix_time;
  std::string_view sha1;
  std::string_view sha256;
  std::string_view sha512;
};

// RFC 6238 Appendix B: 8 digits, 30-second period, T0 = 0.
constexpr RfcVector kRfc6238Vectors[] = {
    {59, "94287082", "46119246", "90693936"},
    {1111111109, "07081804", "68084774", "25091201"},
    {1111111111, "14050471", "67062674", "99943326"},
    {1234567890, "89005924", "91819424", "93441116"},
    {2000000000, "69279037", "90698825", "38618901"},
    {20000000000, "65353130", "77737706", "47863826"},
};

TotpParameters EightDigits(TotpAlgorithm algorithm) {
  return {.algorithm = algorithm, .digits = 8, .period_seconds = 30};
}

TEST(TotpTest, Rfc6238VectorsSha1) {
  for (const RfcVector& vector : kRfc6238Vectors) {
    EXPECT_EQ(TotpCode(AsBytes(kSeedSha1), vector.unix_time, EightDigits(TotpAlgorithm::kSha1)),
              vector.sha1)
        << "T=" << vector.unix_time;
  }
}

TEST(TotpTest, Rfc6238VectorsSha256) {
  for (const RfcVector& vector : kRfc6238Vectors) {
    EXPECT_EQ(TotpCode(AsBytes(kSeedSha256), vector.unix_time, EightDigits(TotpAlgorithm::kSha256)),
              vector.sha256)
        << "T=" << vector.unix_time;
  }
}

TEST(TotpTest, Rfc6238VectorsSha512) {
  for (const RfcVector& vector : kRfc6238Vectors) {
    EXPECT_EQ(TotpCode(AsBytes(kSeedSha512), vector.unix_time, EightDigits(TotpAlgorithm::kSha512)),
              vector.sha512)
        << "T=" << vector.unix_time;
  }
}

TEST(TotpTest, SixDigitsAreTheLastSixOfEight) {
  EXPECT_EQ(TotpCode(AsBytes(kSeedSha1), 59, {}), "287082");
  EXPECT_EQ(TotpCode(AsBytes(kSeedSha1), 1111111109, {}), "081804");  // keeps the leading zero
}

TEST(TotpTest, CodeIsConstantWithinAStep) {
  const TotpParameters defaults;
  EXPECT_EQ(TotpCode(AsBytes(kSeedSha1), 30, defaults), TotpCode(AsBytes(kSeedSha1), 59, defaults));
  EXPECT_NE(TotpCode(AsBytes(kSeedSha1), 59, defaults), TotpCode(AsBytes(kSeedSha1), 60, defaults));
}

TEST(TotpTest, BrokenContractGivesEmptyCode) {
  EXPECT_EQ(TotpCode({}, 59, {}), "");
  EXPECT_EQ(TotpCode(AsBytes(kSeedSha1), -1, {}), "");
  EXPECT_EQ(TotpCode(AsBytes(kSeedSha1), 59, {.digits = 5}), "");
  EXPECT_EQ(TotpCode(AsBytes(kSeedSha1), 59, {.digits = 9}), "");
  EXPECT_EQ(TotpCode(AsBytes(kSeedSha1), 59, {.period_seconds = 0}), "");
}

TEST(TotpTest, NewSecretIs20RandomBytes) {
  FakeRandom random(1);
  const Bytes first = NewTotpSecret(random);
  const Bytes second = NewTotpSecret(random);
  EXPECT_EQ(first.size(), 20u);
  EXPECT_NE(first, second);
}

TEST(Base32Test, Rfc4648VectorsWithoutPadding) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},
      {"f", "MY"},
      {"fo", "MZXQ"},
      {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base32Encode(AsBytes(plain)), encoded);
    StatusOr<Bytes> decoded = Base32Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(AsChars(*decoded), plain);
  }
}

TEST(Base32Test, DecodesPaddingCaseAndSpaces) {
  for (std::string_view text : {"MZXW6YTBOI======", "mzxw6ytboi", "MZXW 6YTB OI", " mZxW6yTbOi "}) {
    StatusOr<Bytes> decoded = Base32Decode(text);
    ASSERT_TRUE(decoded.ok()) << text;
    EXPECT_EQ(AsChars(*decoded), "foobar") << text;
  }
}

TEST(Base32Test, RefusesMalformedText) {
  for (std::string_view text :
       {"MZXW6YT1", "MZXW0", "MZ-XW", "MZ\tXW", "MY=A", "M", "MZX", "MZXW6Y", "MZ", "MZXR"}) {
    const StatusOr<Bytes> decoded = Base32Decode(text);
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument) << text;
  }
}

TEST(Base32Test, RoundTripsEveryLength) {
  FakeRandom random(7);
  for (size_t size = 0; size < 41; ++size) {
    Bytes data(size);
    random.Fill(data);
    StatusOr<Bytes> decoded = Base32Decode(Base32Encode(data));
    ASSERT_TRUE(decoded.ok()) << size;
    EXPECT_EQ(*decoded, data);
  }
}

TEST(TotpUriTest, PercentEncodesLabelAndIssuer) {
  EXPECT_EQ(TotpProvisioningUri("Acme Co", "alice@example.com", AsBytes("foobar")),
            "otpauth://totp/Acme%20Co:alice%40example.com?secret=MZXW6YTBOI&issuer=Acme%20Co");
  EXPECT_EQ(TotpProvisioningUri("A:B&C=D?", "x/y#z", AsBytes("f")),
            "otpauth://totp/A%3AB%26C%3DD%3F:x%2Fy%23z?secret=MY&issuer=A%3AB%26C%3DD%3F");
  EXPECT_EQ(TotpProvisioningUri("Quartet", "béa", AsBytes("f")),
            "otpauth://totp/Quartet:b%C3%A9a?secret=MY&issuer=Quartet");
  EXPECT_EQ(TotpProvisioningUri("Q-1_x.y~", "bob", AsBytes("f")),
            "otpauth://totp/Q-1_x.y~:bob?secret=MY&issuer=Q-1_x.y~");
}

TEST(TotpUriTest, EmptyIssuerIsLeftOut) {
  EXPECT_EQ(TotpProvisioningUri("", "bob", AsBytes("f")), "otpauth://totp/bob?secret=MY");
}

class VerifyTotpTest : public ::testing::Test {
 protected:
  // Step 1000 covers [30000, 30030).
  static constexpr int64_t kNow = 30'010;
  static constexpr int64_t kStep = 1000;
  static constexpr int64_t kNothingAccepted = -1;

  std::string CodeAtStep(int64_t step) const { return TotpCode(key_, step * 30, parameters_); }
  StatusOr<int64_t> Verify(std::string_view code, int64_t last_accepted = kNothingAccepted) const {
    return VerifyTotp(key_, code, kNow, last_accepted, parameters_);
  }

  const Bytes key_ = Bytes(kSeedSha1.begin(), kSeedSha1.end());
  const TotpParameters parameters_ = {};
};

TEST_F(VerifyTotpTest, AcceptsCurrentStep) {
  StatusOr<int64_t> accepted = Verify(CodeAtStep(kStep));
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  EXPECT_EQ(*accepted, kStep);
}

TEST_F(VerifyTotpTest, AcceptsOneStepEitherSide) {
  StatusOr<int64_t> previous = Verify(CodeAtStep(kStep - 1));
  ASSERT_TRUE(previous.ok()) << previous.status().ToString();
  EXPECT_EQ(*previous, kStep - 1);
  StatusOr<int64_t> next = Verify(CodeAtStep(kStep + 1));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(*next, kStep + 1);
}

TEST_F(VerifyTotpTest, RefusesStepsOutsideTheWindow) {
  EXPECT_EQ(Verify(CodeAtStep(kStep - 2)).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Verify(CodeAtStep(kStep + 2)).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(VerifyTotpTest, RefusesWrongCode) {
  std::string wrong = CodeAtStep(kStep);
  wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
  EXPECT_EQ(Verify(wrong).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(VerifyTotpTest, RefusesReplay) {
  EXPECT_EQ(Verify(CodeAtStep(kStep), kStep).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Verify(CodeAtStep(kStep - 1), kStep).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Verify(CodeAtStep(kStep), kStep + 1).status().code(), StatusCode::kPermissionDenied);
  // A later step than the last accepted one is fine.
  StatusOr<int64_t> next = Verify(CodeAtStep(kStep + 1), kStep);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, kStep + 1);
}

TEST_F(VerifyTotpTest, RefusesMalformedCodes) {
  const std::string good = CodeAtStep(kStep);
  const std::string codes[] = {
      "",
      good.substr(0, 5),
      good + "0",
      " " + good.substr(1),
      "12a456",
      "+12345",
      "-12345",
      "１234",  // a full-width digit one (three bytes) and three digits: six bytes
      good.substr(0, 3) + '\0' + good.substr(4),
  };
  for (const std::string& code : codes) {
    const StatusOr<int64_t> result = Verify(code);
    ASSERT_FALSE(result.ok()) << code;
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << code;
  }
}

TEST_F(VerifyTotpTest, RefusesBadInputs) {
  const std::string code = CodeAtStep(kStep);
  EXPECT_EQ(VerifyTotp({}, code, kNow, kNothingAccepted, parameters_).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyTotp(key_, code, -1, kNothingAccepted, parameters_).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyTotp(key_, code, kNow, kNothingAccepted, {.digits = 10}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(VerifyTotpTest, FirstStepHasNoPreviousStep) {
  const std::string code = TotpCode(key_, 0, parameters_);
  StatusOr<int64_t> accepted = VerifyTotp(key_, code, 5, kNothingAccepted, parameters_);
  ASSERT_TRUE(accepted.ok());
  EXPECT_EQ(*accepted, 0);
}

TEST_F(VerifyTotpTest, HonoursParameters) {
  const TotpParameters sha256_8 = {
      .algorithm = TotpAlgorithm::kSha256, .digits = 8, .period_seconds = 60};
  const std::string code = TotpCode(key_, kNow, sha256_8);
  ASSERT_EQ(code.size(), 8u);
  StatusOr<int64_t> accepted = VerifyTotp(key_, code, kNow, kNothingAccepted, sha256_8);
  ASSERT_TRUE(accepted.ok());
  EXPECT_EQ(*accepted, kNow / 60);
  // The same code under the default parameters is malformed (8 digits, not 6).
  EXPECT_EQ(Verify(code).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace quartet::identity
