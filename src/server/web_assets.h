// The dashboard's files (web/), compiled into the binary by cmake/embed_assets.cmake.
#pragma once

#include <span>
#include <string_view>

namespace quartet::server {

struct WebAsset {
  std::string_view path;  // "/index.html", "/js/app.js", ...
  std::string_view content;
};

std::span<const WebAsset> WebAssets();

}  // namespace quartet::server
