#include "ledger/witness.h"

#include "base/bytes.h"

namespace quartet::ledger {

std::string AddCheckpointRequest::Format() const {
  std::string body = "old " + std::to_string(old_size) + "\n";
  for (const Hash& hash : proof) body += Base64Encode(hash) + "\n";
  return body + "\n" + note;
}

StatusOr<AddCheckpointRequest> ParseAddCheckpoint(std::string_view body) {
  AddCheckpointRequest out;
  auto next_line = [&]() -> StatusOr<std::string_view> {
    const size_t newline = body.find('\n');
    if (newline == std::string_view::npos)
      return InvalidArgumentError("add-checkpoint body is truncated");
    std::string_view line = body.substr(0, newline);
    body.remove_prefix(newline + 1);
    return line;
  };
  ASSIGN_OR_RETURN(std::string_view first, next_line());
  if (!first.starts_with("old "))
    return InvalidArgumentError("add-checkpoint body lacks its 'old' line");
  ASSIGN_OR_RETURN(out.old_size, ParseDecimal(first.substr(4)));
  for (;;) {
    ASSIGN_OR_RETURN(std::string_view line, next_line());
    if (line.empty()) break;
    if (out.proof.size() >= 63) return InvalidArgumentError("consistency proof is too long");
    ASSIGN_OR_RETURN(Hash hash, HashFromBase64(line, "consistency proof hash"));
    out.proof.push_back(hash);
  }
  if (body.empty()) return InvalidArgumentError("add-checkpoint body lacks its checkpoint");
  out.note = std::string(body);
  return out;
}

}  // namespace quartet::ledger
