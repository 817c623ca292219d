// `quartet log ...` as a user runs it: real processes on a real data folder.
#include <filesystem>

#include <gtest/gtest.h>

#include "ledger/receipt.h"
#include "store/data_folder.h"
#include "tests/test_util.h"

namespace quartet::testing {
namespace {

class LogCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshDirectory(std::string("cli-") +
                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    data_ = dir_ + "/data";
    key_ = InitLog(data_, "acme");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  RunResult Append(const std::string& input, const std::string& tenant = "acme") {
    return AppendLines(data_, tenant, input, dir_ + "/input.jsonl");
  }
  uint64_t Size() {
    auto folder = store::DataFolder::Open(data_);
    return *(*folder)->logs().EntryCount("acme");
  }

  std::string dir_, data_, key_;
};

TEST_F(LogCommandsTest, InitPrintsTheVerifierKeyAndKeyCommandAgrees) {
  EXPECT_TRUE(key_.starts_with("example.test/logs/acme+")) << key_;
  auto key = RunProcess({QuartetBinary(), "log", "key", "--data", data_, "--tenant", "acme"});
  EXPECT_EQ(key.status, 0);
  EXPECT_EQ(key.out, key_ + "\n");
  auto again = RunProcess({QuartetBinary(), "log", "init", "--data", data_, "--tenant", "acme"});
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.err.find("already has a log"), std::string::npos) << again.err;
}

TEST_F(LogCommandsTest, AppendPrintsIndexesAndStoresCanonicalJson) {
  auto result = Append("{\"b\": 2, \"a\": [1, 2]}\n\n{\"kind\":\"x\"}\n");
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(result.out, "0\n1\n");
  result = Append("{\"z\":1}\n");
  EXPECT_EQ(result.out, "2\n");
  auto folder = store::DataFolder::Open(data_);
  std::vector<std::string> entries;
  ASSERT_TRUE((*folder)->logs().ReadEntries("acme", 0, 3, entries).ok());
  EXPECT_EQ(entries[0], "{\"a\":[1,2],\"b\":2}");
  // Published at once when no server holds the folder.
  EXPECT_NE(ReadTextFile(data_ + "/logs/acme/checkpoint").find("\n3\n"), std::string::npos);
}

TEST_F(LogCommandsTest, BadInputIsRefusedWithTheLineAndChangesNothing) {
  ASSERT_EQ(Append("{\"ok\":1}\n").status, 0);
  struct Case {
    std::string input;
    std::string reason;
  } cases[] = {
      {"{\"ok\":1}\n{\"broken\":\n", "line 2: malformed JSON"},
      {"[1,2]\n", "line 1: an event must be a JSON object"},
      {"{\"s\":\"" + std::string(70000, 'a') + "\"}\n", "line 1: over 64 KiB"},
      {"{\"s\":\"" + std::string(65528, 'a') + "\"}\n", "line 1: event over 64 KiB"},
      {"{\"bad\":\"\xff\xfe\"}\n", "line 1: malformed JSON"},
      {"", "no events"},
  };
  for (const Case& c : cases) {
    auto result = Append(c.input);
    EXPECT_EQ(result.status, 1) << c.reason;
    EXPECT_NE(result.err.find(c.reason), std::string::npos) << result.err;
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(Size(), 1u) << c.reason;
  }
  auto unknown = Append("{\"a\":1}\n", "nobody");
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.err.find("no log for tenant 'nobody'"), std::string::npos) << unknown.err;
}

TEST_F(LogCommandsTest, ProofIsAValidTlogProofReceipt) {
  std::string input;
  for (int i = 0; i < 300; ++i) input += "{\"n\":" + std::to_string(i) + "}\n";
  ASSERT_EQ(Append(input).status, 0);
  auto proof = RunProcess(
      {QuartetBinary(), "log", "proof", "--data", data_, "--tenant", "acme", "--index", "257"});
  ASSERT_EQ(proof.status, 0) << proof.err;
  EXPECT_TRUE(proof.out.starts_with("c2sp.org/tlog-proof@v1\nindex 257\n")) << proof.out;
  auto receipt = ledger::Receipt::Parse(proof.out);
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  ledger::ReceiptPolicy policy{"example.test/logs/acme", *ledger::NoteVerifier::Parse(key_), {}, 0};
  auto verified = ledger::VerifyReceipt(*receipt, AsBytes("{\"n\":257}"), policy);
  EXPECT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_FALSE(ledger::VerifyReceipt(*receipt, AsBytes("{\"n\":258}"), policy).ok());
  auto beyond = RunProcess(
      {QuartetBinary(), "log", "proof", "--data", data_, "--tenant", "acme", "--index", "300"});
  EXPECT_EQ(beyond.status, 1);
}

}  // namespace
}  // namespace quartet::testing
