// The SSH wire encoding (RFC 4251 section 5) that OpenSSH's key, certificate and KRL formats are
// built from: big-endian uint32 and uint64, and "string" = uint32 length || bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace quartet::ssh {

// RFC 4251's names for base/bytes.h's big-endian writers.
inline void PutUint32(Bytes& out, uint32_t value) { AppendBigEndian32(out, value); }
inline void PutUint64(Bytes& out, uint64_t value) { AppendBigEndian64(out, value); }
// Precondition: data.size() < 2^32.
void PutString(Bytes& out, ByteView data);
inline void PutString(Bytes& out, std::string_view text) { PutString(out, AsBytes(text)); }

// Reads SSH wire values from a byte view it does not own (which must outlive the reader and every
// view it returns). Every read fails with InvalidArgument, consuming nothing, when the data is too
// short; no input can make it crash or read out of bounds.
class WireReader {
 public:
  explicit WireReader(ByteView data) : data_(data) {}

  StatusOr<uint8_t> ReadByte();
  StatusOr<uint32_t> ReadUint32();
  StatusOr<uint64_t> ReadUint64();
  StatusOr<ByteView> ReadBytes(size_t count);
  // A string's contents, as a view into the data.
  StatusOr<ByteView> ReadString();
  // A string holding text: also refuses an embedded NUL, as OpenSSH's sshbuf_get_cstring does.
  StatusOr<std::string> ReadText();
  // A string that must equal `expected`; `what` names it in the error.
  Status ExpectString(std::string_view expected, std::string_view what);
  // InvalidArgument naming `what` unless everything has been read.
  Status ExpectEnd(std::string_view what) const;

  bool empty() const { return offset_ == data_.size(); }
  // The bytes read so far.
  ByteView consumed() const { return data_.first(offset_); }

 private:
  ByteView data_;
  size_t offset_ = 0;
};

}  // namespace quartet::ssh
