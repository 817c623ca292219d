// C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the note text of a signed tree head.
//
//   <origin>\n
//   <tree size, decimal, no leading zeros>\n
//   <root hash, base64>\n
//   [<extension line>\n ...]
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/sha256.h"
#include "base/status.h"

namespace quartet::ledger {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // each a non-empty line without its newline

  std::string Text() const;
  // Parses a note text. Refuses an empty origin, a malformed size or hash, empty extension lines and
  // a missing final newline.
  static StatusOr<Checkpoint> Parse(std::string_view text);
};

}  // namespace quartet::ledger
