// gzip (RFC 1952) through zlib, for entry bundles, which tlog-tiles says should be compressed.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace quartet::server {

StatusOr<std::string> Gzip(std::string_view data);
// Refuses anything that is not one complete gzip member, or that inflates beyond `max_size`.
StatusOr<std::string> Gunzip(std::string_view data, size_t max_size);

// Whether an Accept-Encoding header value accepts gzip (present, and not with q=0).
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace quartet::server
