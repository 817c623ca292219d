#include "server/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace quartet::server {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // 2^15 window, gzip wrapper

}  // namespace

StatusOr<std::string> Gzip(std::string_view data) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return InternalError("deflateInit2 failed");
  }
  std::string out(deflateBound(&stream, data.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) return InternalError("deflate did not finish");
  return out;
}

StatusOr<std::string> Gunzip(std::string_view data, size_t max_size) {
  z_stream stream{};
  if (inflateInit2(&stream, kGzipWindowBits) != Z_OK) return InternalError("inflateInit2 failed");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  int rc = Z_OK;
  while (rc == Z_OK) {
    char buffer[65536];
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    rc = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
    if (out.size() > max_size) rc = Z_BUF_ERROR;
  }
  const bool complete = rc == Z_STREAM_END && stream.avail_in == 0;
  inflateEnd(&stream);
  if (!complete) return InvalidArgumentError("malformed or oversized gzip data");
  return out;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  std::string value(accept_encoding);
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  value.erase(std::remove(value.begin(), value.end(), ' '), value.end());
  size_t start = 0;
  for (;;) {
    const size_t comma = value.find(',', start);
    const std::string item =
        value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t semicolon = item.find(';');
    const std::string name = item.substr(0, semicolon);
    if (name == "gzip" || name == "*") {
      const size_t q = item.find("q=", semicolon == std::string::npos ? item.size() : semicolon);
      if (q == std::string::npos) return true;
      return std::strtod(item.c_str() + q + 2, nullptr) > 0;
    }
    if (comma == std::string::npos) return false;
    start = comma + 1;
  }
}

}  // namespace quartet::server
