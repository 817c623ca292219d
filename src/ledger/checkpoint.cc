#include "ledger/checkpoint.h"

#include <algorithm>

#include "base/bytes.h"

namespace quartet::ledger {
namespace {

// The lines of `text`, which must end in a newline, without their newlines.
StatusOr<std::vector<std::string_view>> SplitLines(std::string_view text) {
  if (!text.ends_with('\n')) return InvalidArgumentError("checkpoint does not end with a newline");
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    lines.push_back(text.substr(0, newline));
    text.remove_prefix(newline + 1);
  }
  return lines;
}

}  // namespace

std::string Checkpoint::Text() const {
  std::string text = origin + "\n" + std::to_string(size) + "\n" + Base64Encode(root) + "\n";
  for (const std::string& extension : extensions) text += extension + "\n";
  return text;
}

StatusOr<Checkpoint> Checkpoint::Parse(std::string_view text) {
  ASSIGN_OR_RETURN(std::vector<std::string_view> lines, SplitLines(text));
  if (lines.size() < 3) return InvalidArgumentError("checkpoint has fewer than three lines");
  Checkpoint checkpoint;
  if (lines[0].empty()) return InvalidArgumentError("checkpoint origin is empty");
  checkpoint.origin = std::string(lines[0]);
  StatusOr<uint64_t> size = ParseDecimal(lines[1]);
  if (!size.ok()) return size.status().WithContext("checkpoint tree size");
  checkpoint.size = *size;
  ASSIGN_OR_RETURN(checkpoint.root, HashFromBase64(lines[2], "checkpoint root hash"));
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return InvalidArgumentError("checkpoint has an empty extension line");
    checkpoint.extensions.emplace_back(lines[i]);
  }
  return checkpoint;
}

}  // namespace quartet::ledger
