#include "base/bytes.h"

#include <sodium.h>

#include <limits>

namespace quartet {

std::string HexEncode(ByteView data) {
  std::string out(data.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data.data(), data.size());
  out.pop_back();
  return out;
}

StatusOr<Bytes> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return InvalidArgumentError("hex string has an odd length");
  if (hex.empty()) return Bytes();
  Bytes out(hex.size() / 2);
  size_t written = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &written, &end) !=
          0 ||
      written != out.size() || end != hex.data() + hex.size()) {
    return InvalidArgumentError("malformed hex string");
  }
  return out;
}

std::string Base64Encode(ByteView data) {
  const size_t size = sodium_base64_ENCODED_LEN(data.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(size, '\0');
  sodium_bin2base64(out.data(), out.size(), data.data(), data.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // the terminating NUL
  return out;
}

StatusOr<Bytes> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0)
    return InvalidArgumentError("malformed base64: length not a multiple of 4");
  if (text.empty()) return Bytes();
  // libsodium 1.0.18 decodes any byte from 0x80 up as '/': refuse them before it sees them.
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return InvalidArgumentError("malformed base64");
  }
  Bytes out(text.size() / 4 * 3);
  size_t written = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &written, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return InvalidArgumentError("malformed base64");
  }
  out.resize(written);
  return out;
}

StatusOr<uint64_t> ParseDecimal(std::string_view text) {
  if (text.empty()) return InvalidArgumentError("empty number");
  if (text.size() > 1 && text[0] == '0') return InvalidArgumentError("number has a leading zero");
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return InvalidArgumentError("not a decimal number");
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      return InvalidArgumentError("number out of range");
    }
    value = value * 10 + digit;
  }
  return value;
}

void AppendBigEndian16(std::string& out, uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value & 0xff));
}

void AppendBigEndian32(Bytes& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

void AppendBigEndian64(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

void AppendBigEndian64(Bytes& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

uint16_t ReadBigEndian16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

uint32_t ReadBigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

uint64_t ReadBigEndian64(const uint8_t* p) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | p[i];
  return value;
}

bool ConstantTimeEquals(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace quartet
