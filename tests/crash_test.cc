// Kills real `quartet` processes with SIGKILL in the middle of appending and publishing, many times,
// and checks that no acknowledged entry is lost, that batches are all-or-nothing, and that every
// checkpoint published is consistent with every later one.
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "store/data_folder.h"
#include "tests/test_util.h"

namespace quartet::testing {
namespace {

constexpr int kBatch = 20000;

std::string BatchInput(int batch) {
  std::string input;
  for (int i = 0; i < kBatch; ++i) {
    input += "{\"batch\":" + std::to_string(batch) + ",\"i\":" + std::to_string(i) + ",\"pad\":\"" +
             std::string(200, 'p') + "\"}\n";
  }
  return input;
}

std::vector<uint64_t> ParseIndexes(const std::string& out) {
  std::vector<uint64_t> indexes;
  std::istringstream lines(out);
  std::string line;
  // A line cut by the kill has no newline yet: only complete lines were acknowledged.
  while (std::getline(lines, line)) {
    if (!lines.eof()) indexes.push_back(std::stoull(line));
  }
  return indexes;
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshDirectory(std::string("crash-") +
                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    data_ = dir_ + "/data";
    key_ = InitLog(data_, "acme");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Every batch is in the log entirely or not at all, and every acknowledged index holds its entry.
  void CheckStore(const std::map<int, uint64_t>& acknowledged_first_index) {
    auto folder = store::DataFolder::Open(data_);
    ASSERT_TRUE(folder.ok());
    const uint64_t size = *(*folder)->logs().EntryCount("acme");
    std::vector<std::string> entries;
    ASSERT_TRUE((*folder)->logs().ReadEntries("acme", 0, size, entries).ok());
    ASSERT_EQ(size % kBatch, 0u) << "a batch was partly appended";
    for (uint64_t first = 0; first < size; first += kBatch) {
      const std::string head = entries[first];
      const std::string batch = head.substr(9, head.find(',') - 9);
      for (int i = 0; i < kBatch; ++i) {
        ASSERT_NE(
            entries[first + i].find("\"batch\":" + batch + ",\"i\":" + std::to_string(i) + ","),
            std::string::npos);
      }
    }
    for (const auto& [batch, first] : acknowledged_first_index) {
      ASSERT_LT(first, size) << "acknowledged batch " << batch << " was lost";
      ASSERT_NE(entries[first].find("\"batch\":" + std::to_string(batch) + ","), std::string::npos);
    }
  }

  RunResult Verify(const std::string& url, const std::string& state) {
    return RunProcess(
        {QuartetBinary(), "verify", "--url", url + "/logs/acme", "--key", key_, "--state", state});
  }

  std::string dir_, data_, key_;
};

TEST_F(CrashTest, KillingAppendNeverLosesAcknowledgedEntries) {
  std::mt19937 random(7);
  std::map<int, uint64_t> acknowledged;
  int killed = 0;
  for (int batch = 0; batch < 16; ++batch) {
    const std::string input = dir_ + "/batch.jsonl";
    WriteTextFile(input, BatchInput(batch));
    Subprocess append = Subprocess::Start(
        {QuartetBinary(), "log", "append", "--data", data_, "--tenant", "acme"}, input);
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 400));
    append.Signal(SIGKILL);
    if (append.Wait() != 0) ++killed;
    auto indexes = ParseIndexes(append.RemainingStdout());
    if (!indexes.empty()) acknowledged[batch] = indexes.front();
    CheckStore(acknowledged);
  }
  EXPECT_GT(killed, 3) << "the kills should interrupt some appends";
  // After the crashes, a server publishes everything, and the log verifies.
  RunningServer server(data_);
  auto verified = Verify(server.url(), dir_ + "/state");
  ASSERT_EQ(verified.status, 0) << verified.err;
}

TEST_F(CrashTest, KillingTheServerWhilePublishingKeepsCheckpointsConsistent) {
  std::mt19937 random(11);
  const std::string state = dir_ + "/state";
  std::map<int, uint64_t> acknowledged;
  for (int round = 0; round < 12; ++round) {
    auto server = std::make_unique<RunningServer>(data_);
    // Each round verifies against the checkpoint remembered from the rounds before.
    auto verified = Verify(server->url(), state);
    ASSERT_EQ(verified.status, 0) << "round " << round << ": " << verified.err;
    const std::string input = dir_ + "/batch.jsonl";
    WriteTextFile(input, BatchInput(round));
    auto appended =
        RunProcess({QuartetBinary(), "log", "append", "--data", data_, "--tenant", "acme"}, input);
    ASSERT_EQ(appended.status, 0) << appended.err;
    acknowledged[round] = ParseIndexes(appended.out).front();
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 300));
    server->process().Signal(SIGKILL);
    server->process().Wait();
    server.reset();
    CheckStore(acknowledged);
  }
  RunningServer server(data_);
  auto verified = Verify(server.url(), state);
  ASSERT_EQ(verified.status, 0) << verified.err;
  EXPECT_NE(verified.out.find("has " + std::to_string(12 * kBatch) + " entries"), std::string::npos)
      << verified.out;
}

}  // namespace
}  // namespace quartet::testing
