#include "ledger/entry.h"

#include <gtest/gtest.h>

#include "ledger/tiles.h"

namespace quartet::ledger {
namespace {

TEST(EntryTest, CanonicalFormSortsKeysAndDropsWhiteSpace) {
  EXPECT_EQ(*CanonicalEntry(R"( {"kind": "note", "at": 1, "a": {"z": [1, 2.5], "y": null}} )"),
            R"({"a":{"y":null,"z":[1,2.5]},"at":1,"kind":"note"})");
  EXPECT_EQ(*CanonicalEntry(R"({"text":"\u00e9t\u00e9"})"), "{\"text\":\"\xc3\xa9t\xc3\xa9\"}");
}

TEST(EntryTest, RefusesWhatIsNotOneJsonObject) {
  EXPECT_EQ(CanonicalEntry("{").status().message(), "malformed JSON");
  EXPECT_EQ(CanonicalEntry("[1]").status().message(), "an event must be a JSON object");
  EXPECT_EQ(CanonicalEntry("{} {}").status().message(), "malformed JSON");
  EXPECT_EQ(CanonicalEntry("{\"bad\":\"\xff\"}").status().message(), "malformed JSON");
  EXPECT_EQ(CanonicalEntry(R"({"lone":"\ud800"})").status().message(), "malformed JSON");
}

TEST(EntryTest, RefusesAnEntryBeyondTheTileFormatsLimit) {
  const std::string fits = "{\"a\":\"" + std::string(kMaxEntrySize - 8, 'x') + "\"}";
  ASSERT_EQ(fits.size(), kMaxEntrySize);
  EXPECT_TRUE(CanonicalEntry(fits).ok());
  const std::string over = "{\"a\":\"" + std::string(kMaxEntrySize - 7, 'x') + "\"}";
  EXPECT_EQ(CanonicalEntry(over).status().message(), "event over 64 KiB");
  // White space that canonicalising drops does not count.
  EXPECT_TRUE(CanonicalEntry(std::string(1000, ' ') + fits).ok());
}

}  // namespace
}  // namespace quartet::ledger
