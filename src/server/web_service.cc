#include "server/web_service.h"

#include "base/bytes.h"
#include "base/sha256.h"
#include "server/api_common.h"
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
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace

WebService::WebService() {
  for (const WebAsset& asset : WebAssets()) {
    File file;
    file.content_type = ContentTypeOf(asset.path);
    file.etag = "\"" + HexEncode(Sha256::Of(asset.content)).substr(0, 32) + "\"";
    file.body = std::make_shared<const std::string>(asset.content);
    if (auto gzipped = Gzip(asset.content); gzipped.ok() && gzipped->size() < asset.content.size()) {
      file.gzipped = std::make_shared<const std::string>(std::move(*gzipped));
    }
    files_.emplace(std::string(asset.path), std::move(file));
  }
}

bool WebService::Owns(std::string_view target) {
  target = target.substr(0, target.find('?'));
  return target == "/" || target == "/index.html" || target.starts_with("/assets/");
}

HttpResponse WebService::Handle(const HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") return HttpResponse::Text(405, "method not allowed");
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  if (path == "/") path = "/index.html";
  if (path.starts_with("/assets/")) path.remove_prefix(std::string_view("/assets").size());
  auto found = files_.find(path);
  if (found == files_.end()) return HttpResponse::Text(404, "not found");
  const File& file = found->second;
  HttpResponse response;
  // Revalidated on every load (cheap: 304), so that a new server version is never mixed with old
  // files in the browser's cache.
  response.cache_control = "no-cache";
  response.headers["ETag"] = file.etag;
  response.headers["Content-Security-Policy"] = kContentSecurityPolicy;
  response.headers["X-Content-Type-Options"] = "nosniff";
  response.headers["Referrer-Policy"] = "no-referrer";
  response.headers["Vary"] = "Accept-Encoding";
  if (Header(request, "if-none-match") == file.etag) {
    response.status = 304;
    return response;
  }
  response.content_type = file.content_type;
  if (file.gzipped && AcceptsGzip(Header(request, "accept-encoding"))) {
    response.headers["Content-Encoding"] = "gzip";
    response.body = file.gzipped;
  } else {
    response.body = file.body;
  }
  return response;
}

}  // namespace quartet::server
