#include "server/web_service.h"

#include "base/bytes.h"
#include "base/sha256.h"
#include "server/gzip.h"
#include "server/web_assets.h"

namespace quartet::server {
namespace {

std::string ContentTypeOf(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src "
    "'self'; "
    "manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace

WebService::WebService() {
  // The version names this build's files as a whole. The page asks for them under
  // /assets/<version>/, which browsers may keep for good: a new build is a new address.
  Sha256 all;
  for (const WebAsset& asset : WebAssets()) all.Update(asset.path).Update(asset.content);
  version_ = "v-" + HexEncode(all.Finish()).substr(0, 16);
  for (const WebAsset& asset : WebAssets()) {
    std::string content(asset.content);
    if (asset.path == "/index.html") {
      constexpr std::string_view kPrefix = "\"/assets/";
      for (size_t at = 0; (at = content.find(kPrefix, at)) != std::string::npos;
           at += kPrefix.size()) {
        content.insert(at + kPrefix.size(), version_ + "/");
      }
    }
    File file;
    file.content_type = ContentTypeOf(asset.path);
    file.etag = "\"" + HexEncode(Sha256::Of(content)).substr(0, 32) + "\"";
    if (auto gzipped = Gzip(content); gzipped.ok() && gzipped->size() < content.size()) {
      file.gzipped = std::make_shared<const std::string>(std::move(*gzipped));
    }
    file.body = std::make_shared<const std::string>(std::move(content));
    files_.emplace(std::string(asset.path), std::move(file));
  }
}

bool WebService::Owns(std::string_view target) {
  target = target.substr(0, target.find('?'));
  return target == "/" || target == "/index.html" || target.starts_with("/assets/");
}

HttpResponse WebService::Handle(const HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD")
    return HttpResponse::Text(405, "method not allowed");
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  if (path == "/") path = "/index.html";
  bool versioned = false;
  if (path.starts_with("/assets/")) {
    path.remove_prefix(std::string_view("/assets").size());
    // "/v-<hex>/js/app.js": this build's files may be cached for good; another build's name gets
    // today's file, revalidated, so that a page open across an upgrade still loads.
    if (path.starts_with("/v-")) {
      const size_t slash = path.find('/', 1);
      if (slash == std::string_view::npos) return HttpResponse::Text(404, "not found");
      versioned = path.substr(1, slash - 1) == version_;
      path.remove_prefix(slash);
    }
  }
  auto found = files_.find(path);
  if (found == files_.end()) return HttpResponse::Text(404, "not found");
  const File& file = found->second;
  HttpResponse response;
  // The page itself and unversioned names are revalidated on every load (cheap: 304), so that a
  // new server is never mixed with an old page.
  response.cache_control = versioned ? "public, max-age=31536000, immutable" : "no-cache";
  response.headers["ETag"] = file.etag;
  response.headers["Content-Security-Policy"] = kContentSecurityPolicy;
  response.headers["X-Content-Type-Options"] = "nosniff";
  response.headers["Referrer-Policy"] = "no-referrer";
  response.headers["Vary"] = "Accept-Encoding";
  if (request.Header("if-none-match") == file.etag) {
    response.status = 304;
    return response;
  }
  response.content_type = file.content_type;
  if (file.gzipped && AcceptsGzip(request.Header("accept-encoding"))) {
    response.headers["Content-Encoding"] = "gzip";
    response.body = file.gzipped;
  } else {
    response.body = file.body;
  }
  return response;
}

}  // namespace quartet::server
