#include "server/log_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "base/random.h"
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
TEST(LogServiceTest, NoCheckpointWithoutTheWitnessOnceTheLogHasOne) {
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("quartet-log-service-" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  auto folder = store::DataFolder::Open(dir);
  ASSERT_TRUE(folder.ok()) << folder.status().ToString();
  FakeRandom random(1);
  ASSERT_TRUE((*folder)->InitLog("acme", "example.test/logs/acme", random).ok());
  const std::string entry = R"({"n":1})";
  ASSERT_TRUE((*folder)->logs().Append("acme", {&entry, 1}).ok());
  LogService logs(**folder, {});
  ASSERT_TRUE(logs.PublishOnce().ok());
  ASSERT_EQ(Get(logs, "/logs/acme/checkpoint").status, 200);

  {
    auto db = store::Database::Open(dir + "/quartet.db");
    ASSERT_TRUE(db.ok());
    auto transaction = store::Transaction::Begin(**db, store::TransactionMode::kImmediate);
    ASSERT_TRUE(transaction.ok());
    ASSERT_TRUE(store::SqliteLogStore::SetWitnessInTransaction(**db, "acme", "agent+01234567+AAAA").ok());
    ASSERT_TRUE((*transaction)->Commit().ok());
  }
  EXPECT_EQ(Get(logs, "/logs/acme/checkpoint").status, 404);
  // Tiles are still served: the agent reads them to check the checkpoint it is offered.
  EXPECT_EQ(Get(logs, "/logs/acme/tile/entries/000.p/1").status, 200);

  folder->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace quartet::server
