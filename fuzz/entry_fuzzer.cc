// Events arrive as untrusted JSON: canonicalising must never crash, and must be idempotent.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ledger/entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto canonical = quartet::ledger::CanonicalEntry(input);
  if (canonical.ok()) {
    auto again = quartet::ledger::CanonicalEntry(*canonical);
    if (!again.ok() || *again != *canonical) std::abort();
  }
  return 0;
}
