#include "server/log_service.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "base/random.h"
#include "base/temp_directory_testing.h"
#include "store/sqlite.h"
#include "store/sqlite_log_store.h"

namespace quartet::server {
namespace {

HttpResponse Get(LogService& logs, const std::string& target) {
  HttpRequest request;
  request.method = "GET";
  request.target = target;
  return logs.Handle(request);
}

// An agent's enrolment sets the log's witness in the same transaction as its log entry; the
// publisher notices within a tenth of a second. A checkpoint asked for in between must not be the
// last one without a cosignature: the owner's page, which already knows the agent, would take it
// for a server that bypasses the agent.
class LogServiceTest : public ::testing::Test {
 protected:
  TempDirectory temp_{"quartet-log-service"};
  void SetUp() override {
    dir_ = temp_.path().string();
    auto folder = store::DataFolder::Open(dir_);
    ASSERT_TRUE(folder.ok()) << folder.status().ToString();
    folder_ = std::move(*folder);
    FakeRandom random(1);
    ASSERT_TRUE(folder_->InitLog("acme", "example.test/logs/acme", random).ok());
    const std::string entry = R"({"n":1})";
    ASSERT_TRUE(folder_->logs().Append("acme", {&entry, 1}).ok());
    logs_ = std::make_unique<LogService>(*folder_, LogService::Options{});
    ASSERT_TRUE(logs_->PublishOnce().ok());
    auto served = Get(*logs_, "/logs/acme/checkpoint");
    ASSERT_EQ(served.status, 200);
    uncosigned_ = *served.body;
  }
  void TearDown() override {
    logs_.reset();
    folder_.reset();
  }
  // What an agent's enrolment does to the log, in its own transaction.
  void SetWitness() {
    auto db = store::Database::Open(dir_ + "/quartet.db");
    ASSERT_TRUE(db.ok());
    auto transaction = store::Transaction::Begin(**db, store::TransactionMode::kImmediate);
    ASSERT_TRUE(transaction.ok());
    ASSERT_TRUE(
        store::SqliteLogStore::SetWitnessInTransaction(**db, "acme", "agent+01234567+AAAA").ok());
    ASSERT_TRUE((*transaction)->Commit().ok());
  }

  std::string dir_;
  std::unique_ptr<store::DataFolder> folder_;
  std::unique_ptr<LogService> logs_;
  std::string uncosigned_;
};

TEST_F(LogServiceTest, NoCheckpointWithoutTheWitnessOnceTheLogHasOne) {
  SetWitness();
  EXPECT_EQ(Get(*logs_, "/logs/acme/checkpoint").status, 404);
  // Tiles are still served: the agent reads them to check the checkpoint it is offered.
  EXPECT_EQ(Get(*logs_, "/logs/acme/tile/entries/000.p/1").status, 200);
}

// The agent may cosign the very checkpoint that was served without it before the publisher runs
// again: what is served then is the cosigned note, not the one without the cosignature.
TEST_F(LogServiceTest, TheCosignedNoteReplacesTheSameCheckpointWithoutIt) {
  SetWitness();
  auto latest = folder_->logs().LatestCheckpoint("acme");
  ASSERT_TRUE(latest.ok() && latest->has_value());
  ledger::StoredCheckpoint cosigned = **latest;
  cosigned.note += "— agent+01234567 AAAAAAAAAAAA\n";  // the store keeps what the caller checked
  ASSERT_TRUE(folder_->logs().AddCosignedCheckpoint("acme", cosigned).ok());
  auto served = Get(*logs_, "/logs/acme/checkpoint");
  ASSERT_EQ(served.status, 200);
  EXPECT_EQ(*served.body, cosigned.note);
  EXPECT_NE(*served.body, uncosigned_);
}

}  // namespace
}  // namespace quartet::server
