// libFuzzer harness for the tlog-witness add-checkpoint body that the agent reads from the server.
// Besides not crashing, whatever parses must format back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ledger/witness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto request = quartet::ledger::ParseAddCheckpoint(input);
  if (request.ok() && request->Format() != input) std::abort();
  return 0;
}
