#include "governance/event_index.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/random.h"
#include "base/temp_directory_testing.h"
#include "governance/event.h"

namespace quartet::governance {
namespace {

using Json = nlohmann::json;

class EventIndexTest : public ::testing::Test {
 protected:
  TempDirectory temp_{"quartet-event-index"};
  void SetUp() override { root_ = temp_.path(); }

  std::unique_ptr<store::DataFolder> MakeFolder(const std::string& name) {
    auto folder = store::DataFolder::Open((root_ / name).string());
    EXPECT_TRUE(folder.ok()) << folder.status().ToString();
    EXPECT_TRUE((*folder)->InitLog("acme", "example.test/logs/acme", Random::System()).ok());
    return std::move(*folder);
  }

  // A grant's life: its request names the technician and resource; later events only the grant.
  static std::vector<std::string> GrantEvents(const std::string& id, const std::string& technician,
                                              const std::string& resource,
                                              const std::string& reason, int64_t at) {
    const Json request = {
        {"id", id}, {"technician", technician}, {"resource", resource}, {"reason", reason}};
    return {Event("grant.requested", "acme", at, {{"grant", id}, {"request", request.dump()}}),
            Event("grant.approved", "acme", at + 60, {{"grant", id}, {"owner", "olivia"}}),
            Event("grant.ended", "acme", at + 600, {{"grant", id}, {"by", technician}})};
  }

  static std::vector<uint64_t> Indexes(const StatusOr<std::vector<IndexedEvent>>& events) {
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    std::vector<uint64_t> out;
    if (events.ok()) {
      for (const auto& event : *events) out.push_back(event.index);
    }
    return out;
  }

  std::filesystem::path root_;
};

TEST_F(EventIndexTest, FindsByTechnicianResourceKindTimeAndWordsNewestFirst) {
  auto folder = MakeFolder("data");
  std::vector<std::string> entries = {Event("client.created", "acme", 1000, {{"by", "pat"}})};
  for (const auto& e : GrantEvents("g1", "ana", "fileserver", "Apply security updates", 2000))
    entries.push_back(e);
  for (const auto& e : GrantEvents("g2", "ben", "mailbox", "Trace a phishing email", 3000))
    entries.push_back(e);
  ASSERT_TRUE(folder->logs().Append("acme", entries).ok());
  auto index = EventIndex::Open(*folder);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EventIndex& events = **index;

  EXPECT_EQ(Indexes(events.Find("acme", {})), (std::vector<uint64_t>{6, 5, 4, 3, 2, 1, 0}));
  // Later events of a grant are found by its request's technician and resource.
  EXPECT_EQ(Indexes(events.Find("acme", {.technician = "ana"})), (std::vector<uint64_t>{3, 2, 1}));
  EXPECT_EQ(Indexes(events.Find("acme", {.resource = "mailbox"})),
            (std::vector<uint64_t>{6, 5, 4}));
  EXPECT_EQ(Indexes(events.Find("acme", {.kind = "grant.approved"})),
            (std::vector<uint64_t>{5, 2}));
  EXPECT_EQ(Indexes(events.Find("acme", {.kind = "grant."})),
            (std::vector<uint64_t>{6, 5, 4, 3, 2, 1}));
  EXPECT_EQ(Indexes(events.Find("acme", {.text = "phish"})), (std::vector<uint64_t>{4}));
  EXPECT_EQ(Indexes(events.Find("acme", {.text = "security updates"})), (std::vector<uint64_t>{1}));
  // Quotes and FTS syntax in the search are words, not operators.
  EXPECT_EQ(Indexes(events.Find("acme", {.text = "\"phishing\" OR NEAR(*"})),
            (std::vector<uint64_t>{}));
  EXPECT_EQ(Indexes(events.Find("acme", {.from = 2000, .to = 3000})),
            (std::vector<uint64_t>{3, 2, 1}));
  // Pages: below the verified size, and below the previous page's last index.
  EXPECT_EQ(Indexes(events.Find("acme", {.below = 4, .limit = 2})), (std::vector<uint64_t>{3, 2}));
  EXPECT_EQ(Indexes(events.Find("acme", {.below = 2, .limit = 2})), (std::vector<uint64_t>{1, 0}));
  EXPECT_FALSE(events.Find("acme", {.limit = 0}).ok());

  // Entries come back byte for byte.
  auto found = events.Find("acme", {.kind = "client.created"});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().entry, entries[0]);

  // New entries are indexed on the next query; the filters' values follow.
  ASSERT_TRUE(folder->logs()
                  .Append("acme", GrantEvents("g3", "chloe", "backup", "Restore a folder", 4000))
                  .ok());
  EXPECT_EQ(Indexes(events.Find("acme", {.technician = "chloe"})),
            (std::vector<uint64_t>{9, 8, 7}));
  auto facets = events.Facets("acme");
  ASSERT_TRUE(facets.ok());
  EXPECT_EQ(facets->technicians, (std::vector<std::string>{"ana", "ben", "chloe"}));
  EXPECT_EQ(facets->resources, (std::vector<std::string>{"backup", "fileserver", "mailbox"}));
}

TEST_F(EventIndexTest, AnIndexThatNoLongerMatchesItsLogIsRebuilt) {
  // The index of one history, put next to another history of the same client (a restored backup,
  // a rewritten log): it must answer for the log it sits with.
  auto first = MakeFolder("first");
  ASSERT_TRUE(
      first->logs().Append("acme", GrantEvents("g1", "ana", "fileserver", "one", 1000)).ok());
  {
    auto index = EventIndex::Open(*first);
    ASSERT_TRUE(index.ok());
    EXPECT_EQ(Indexes((*index)->Find("acme", {.technician = "ana"})),
              (std::vector<uint64_t>{2, 1, 0}));
  }
  auto second = MakeFolder("second");
  std::vector<std::string> other = GrantEvents("g9", "ben", "mailbox", "two", 1000);
  other.push_back(Event("client.created", "acme", 1100, {{"by", "pat"}}));
  ASSERT_TRUE(second->logs().Append("acme", other).ok());
  std::filesystem::copy_file(root_ / "first" / "index.db", root_ / "second" / "index.db",
                             std::filesystem::copy_options::overwrite_existing);
  auto index = EventIndex::Open(*second);
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(Indexes((*index)->Find("acme", {.technician = "ana"})), (std::vector<uint64_t>{}));
  EXPECT_EQ(Indexes((*index)->Find("acme", {.technician = "ben"})),
            (std::vector<uint64_t>{2, 1, 0}));

  // A log shorter than its index (rolled back) is re-indexed too.
  auto shorter = MakeFolder("shorter");
  ASSERT_TRUE(shorter->logs().Append("acme", std::vector<std::string>{other[0]}).ok());
  std::filesystem::copy_file(root_ / "second" / "index.db", root_ / "shorter" / "index.db",
                             std::filesystem::copy_options::overwrite_existing);
  auto rolled_back = EventIndex::Open(*shorter);
  ASSERT_TRUE(rolled_back.ok());
  EXPECT_EQ(Indexes((*rolled_back)->Find("acme", {})), (std::vector<uint64_t>{0}));
}

}  // namespace
}  // namespace quartet::governance
