#include "base/utf8.h"

#include <cstdint>

namespace quartet {

std::optional<CodePoint> DecodeUtf8(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(0);
  if (lead < 0x80) return CodePoint{lead, 1};
  // The lead byte gives the length, its payload bits, and the smallest code point that length may
  // encode (anything less is overlong). C0 and C1 can only lead overlong forms; F5..FF only values
  // beyond U+10FFFF; 80..BF are continuation bytes.
  size_t length = 0;
  char32_t minimum = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    minimum = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    minimum = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    minimum = 0x10000;
  } else {
    return std::nullopt;
  }
  if (text.size() < length) return std::nullopt;
  char32_t value = lead & (0x7Fu >> length);
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return std::nullopt;
    value = (value << 6) | (byte(i) & 0x3Fu);
  }
  const bool surrogate = value >= 0xD800 && value <= 0xDFFF;
  if (value < minimum || value > 0x10FFFF || surrogate) return std::nullopt;
  return CodePoint{value, length};
}

bool IsValidUtf8(std::string_view text) {
  while (!text.empty()) {
    if (static_cast<uint8_t>(text[0]) < 0x80) {  // ASCII, the common case, without a call
      text.remove_prefix(1);
      continue;
    }
    const std::optional<CodePoint> code_point = DecodeUtf8(text);
    if (!code_point) return false;
    text.remove_prefix(code_point->length);
  }
  return true;
}

}  // namespace quartet
