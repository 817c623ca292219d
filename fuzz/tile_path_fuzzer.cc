// Tile paths and stored tiles come from outside (HTTP requests, files on disk): parse them as such.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ledger/tiles.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto id = quartet::ledger::ParseTilePath(input);
  // Whatever parses must print back to exactly the same path.
  if (id.ok() && id->Path() != input) std::abort();
  if (size > 0) {
    auto entries = quartet::ledger::DecodeEntryBundle(input, data[0]);
    if (entries.ok()) {
      std::string again;
      for (std::string_view entry : *entries) quartet::ledger::AppendToEntryBundle(again, entry);
      if (again != input) std::abort();
    }
  }
  return 0;
}
