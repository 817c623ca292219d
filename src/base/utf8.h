// UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
// U+10FFFF. The one reading of UTF-8 for notes, key names, passwords and canonical JSON.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace quartet {

struct CodePoint {
  char32_t value = 0;
  size_t length = 0;  // bytes of its encoding, 1 to 4
};

// The code point whose encoding starts `text`, or nullopt if `text` is empty or does not start with
// a well-formed one (a stray continuation byte, a truncated sequence, an overlong form, a
// surrogate, or a value beyond U+10FFFF).
std::optional<CodePoint> DecodeUtf8(std::string_view text);

// Whether all of `text` is well-formed UTF-8.
bool IsValidUtf8(std::string_view text);

}  // namespace quartet
