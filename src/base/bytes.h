// Byte strings and their text encodings (RFC 4648 base64, lowercase hex).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace quartet {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string HexEncode(ByteView data);
StatusOr<Bytes> HexDecode(std::string_view hex);

// Standard base64 with padding (RFC 4648 section 4). Decoding is strict: no white space, no missing
// or extra padding, and non-zero trailing bits are refused, so each byte string has exactly one text.
std::string Base64Encode(ByteView data);
StatusOr<Bytes> Base64Decode(std::string_view text);

// Parses a decimal unsigned integer with no sign, no leading zeros (except "0") and no overflow.
StatusOr<uint64_t> ParseDecimal(std::string_view text);

// Big-endian (network order) integers, as the SSH wire format, C2SP notes and tiles, and TOTP
// write them. The readers' precondition: `p` points to at least 2, 4 or 8 readable bytes.
void AppendBigEndian16(std::string& out, uint16_t value);
void AppendBigEndian32(Bytes& out, uint32_t value);
void AppendBigEndian64(std::string& out, uint64_t value);
void AppendBigEndian64(Bytes& out, uint64_t value);
uint16_t ReadBigEndian16(const uint8_t* p);
uint32_t ReadBigEndian32(const uint8_t* p);
uint64_t ReadBigEndian64(const uint8_t* p);

// Compares in time independent of the contents (the lengths may leak).
bool ConstantTimeEquals(ByteView a, ByteView b);

}  // namespace quartet
