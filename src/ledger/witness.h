// The body of a C2SP tlog-witness add-checkpoint request (https://c2sp.org/tlog-witness):
//
//   old <size the witness last cosigned>\n
//   <base64 consistency proof hash>\n      (zero or more, at most 63)
//   \n
//   <the checkpoint note, with the log's signature>
//
// Quartet's agent is its client's witness. It connects outbound only, so it fetches this body
// rather than receiving it, and answers with its cosignature line; the bytes are the spec's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/sha256.h"
#include "base/status.h"

namespace quartet::ledger {

struct AddCheckpointRequest {
  uint64_t old_size = 0;
  std::vector<Hash> proof;
  std::string note;

  std::string Format() const;
};

// InvalidArgument for a body that is not in the form above. The note is not checked here.
StatusOr<AddCheckpointRequest> ParseAddCheckpoint(std::string_view body);

}  // namespace quartet::ledger
