#include "ssh/wire.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace quartet::ssh {

void PutString(Bytes& out, ByteView data) {
  assert(data.size() <= std::numeric_limits<uint32_t>::max());
  PutUint32(out, static_cast<uint32_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
}

StatusOr<ByteView> WireReader::ReadBytes(size_t count) {
  if (count > data_.size() - offset_) return InvalidArgumentError("truncated SSH wire data");
  const ByteView out = data_.subspan(offset_, count);
  offset_ += count;
  return out;
}

StatusOr<uint8_t> WireReader::ReadByte() {
  ASSIGN_OR_RETURN(const ByteView bytes, ReadBytes(1));
  return bytes[0];
}

StatusOr<uint32_t> WireReader::ReadUint32() {
  ASSIGN_OR_RETURN(const ByteView bytes, ReadBytes(4));
  return ReadBigEndian32(bytes.data());
}

StatusOr<uint64_t> WireReader::ReadUint64() {
  ASSIGN_OR_RETURN(const ByteView bytes, ReadBytes(8));
  return ReadBigEndian64(bytes.data());
}

StatusOr<ByteView> WireReader::ReadString() {
  const size_t start = offset_;
  ASSIGN_OR_RETURN(const uint32_t length, ReadUint32());
  auto contents = ReadBytes(length);
  if (!contents.ok()) offset_ = start;
  return contents;
}

StatusOr<std::string> WireReader::ReadText() {
  const size_t start = offset_;
  ASSIGN_OR_RETURN(const ByteView contents, ReadString());
  if (std::find(contents.begin(), contents.end(), 0) != contents.end()) {
    offset_ = start;
    return InvalidArgumentError("SSH string contains a NUL byte");
  }
  return std::string(AsChars(contents));
}

Status WireReader::ExpectString(std::string_view expected, std::string_view what) {
  const size_t start = offset_;
  ASSIGN_OR_RETURN(const ByteView contents, ReadString());
  if (AsChars(contents) != expected) {
    offset_ = start;
    return InvalidArgumentError(std::string(what) + " is not \"" + std::string(expected) + "\"");
  }
  return Status::Ok();
}

Status WireReader::ExpectEnd(std::string_view what) const {
  if (!empty()) return InvalidArgumentError("trailing bytes after " + std::string(what));
  return Status::Ok();
}

}  // namespace quartet::ssh
