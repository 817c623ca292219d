#include "tests/forgery.h"

#include <chrono>

#include <gtest/gtest.h>

#include "access/approval.h"
#include "access/grant.h"
#include "base/bytes.h"
#include "base/json.h"
#include "base/random.h"
#include "store/sqlite.h"
#include "tests/test_util.h"

namespace quartet::testing {

void ForgeApproval(const std::string& data, const std::string& client, const std::string& grant,
                   const std::string& owner, const std::string& scratch) {
  // Another key signs as if it were the owner's.
  FakeRandom random(3);
  const access::OwnerSigner forger = access::OwnerSigner::Generate(random);
  auto db = store::Database::Open(data + "/quartet.db");
  ASSERT_TRUE(db.ok());
  std::string request;
  {
    auto select = (*db)->Prepare("SELECT request FROM grants WHERE client = ? AND id = ?");
    ASSERT_TRUE(select.ok());
    (*select)->Bind(1, client).Bind(2, grant);
    ASSERT_TRUE(*(*select)->Step());
    request = std::string((*select)->ColumnText(0));
  }
  std::string key_id;
  {
    auto select = (*db)->Prepare("SELECT key_id FROM owner_keys WHERE owner = ?");
    ASSERT_TRUE(select.ok());
    (*select)->Bind(1, owner);
    ASSERT_TRUE(*(*select)->Step());
    key_id = std::string((*select)->ColumnText(0));
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  // The log entries the server writes for an approval, with the forged signature.
  const Bytes signature = forger.Sign(access::OwnerDecision::kApprove, request);
  const Json approved = {{"kind", "grant.approved"},
                         {"client", client},
                         {"at", now},
                         {"grant", grant},
                         {"owner", owner},
                         {"key_id", key_id},
                         {"signature", Base64Encode(signature)},
                         {"comment", ""}};
  const Json activated = {{"kind", "grant.activated"},
                          {"client", client},
                          {"at", now},
                          {"grant", grant},
                          {"window_start", now},
                          {"window_end", now + 1800},
                          {"breakglass", false}};
  auto appended =
      AppendLines(data, client, approved.dump() + "\n" + activated.dump() + "\n", scratch);
  ASSERT_EQ(appended.status, 0) << appended.err;
  // ...and the server's own table says approved.
  access::GrantProgress progress;
  progress.state = access::GrantState::kApproved;
  progress.approvals_required = 1;
  progress.window_start = now;
  progress.window_end = now + 1800;
  auto update = (*db)->Prepare(
      "UPDATE grants SET state = 'approved', progress = ? WHERE client = ? AND id = ?");
  ASSERT_TRUE(update.ok());
  (*update)->Bind(1, access::ProgressToJson(progress)).Bind(2, client).Bind(3, grant);
  ASSERT_TRUE((*update)->Run().ok());
}

}  // namespace quartet::testing
