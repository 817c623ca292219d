#include "server/log_service.h"

#include "server/gzip.h"

namespace quartet::server {
namespace {

// A log its owners published is anyone's to cache; any other only the reader's own.
std::string TileCacheControl(bool open) {
  return std::string(open ? "public" : "private") + ", max-age=31536000, immutable";
}
std::string CheckpointCacheControl(bool open) {
  return std::string(open ? "public" : "private") + ", max-age=2";
}

HttpResponse Binary(std::shared_ptr<const std::string> body, bool open) {
  HttpResponse response;
  response.content_type = "application/octet-stream";
  response.cache_control = TileCacheControl(open);
  response.body = std::move(body);
  return response;
}

// The bearer token, or else the dashboard's session cookie.
std::string_view Credential(const HttpRequest& request) {
  std::string_view authorization = request.Header("authorization");
  if (authorization.starts_with("Bearer ")) return authorization.substr(7);
  return request.Cookie("quartet_session");
}

}  // namespace

HttpResponse LogService::Handle(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse response = HttpResponse::Text(405, "method not allowed");
    response.headers["Allow"] = "GET, HEAD";
    return response;
  }
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  if (!path.starts_with("/logs/")) return HttpResponse::Text(404, "not found");
  path.remove_prefix(6);
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos) return HttpResponse::Text(404, "not found");
  const std::string tenant(path.substr(0, slash));
  const std::string_view rest = path.substr(slash + 1);
  bool open = true;
  if (authorize_) {
    auto allowed = authorize_(Credential(request), tenant);
    if (!allowed.ok()) {
      if (allowed.status().code() == StatusCode::kUnauthenticated) {
        HttpResponse response = HttpResponse::Text(401, allowed.status().message());
        response.headers["WWW-Authenticate"] = "Bearer realm=\"quartet logs\"";
        return response;
      }
      if (allowed.status().code() == StatusCode::kNotFound)
        return HttpResponse::Text(404, "no such log");
      return HttpResponse::FromStatus(allowed.status());
    }
    open = *allowed;
  }

  auto view = tiles_.CurrentView(tenant);
  if (!view.ok()) {
    if (view.status().code() == StatusCode::kNotFound)
      return HttpResponse::Text(404, "no such log");
    return HttpResponse::FromStatus(view.status());
  }
  if (rest == "checkpoint") {
    // A view made before the log had a witness may predate an agent's enrolment committed since:
    // once the client's record names its agent, no checkpoint without its cosignature is served.
    if (!view->witnessed) {
      auto config = folder_.logs().GetLog(tenant);
      if (config.ok() && !config->witness_key.empty()) {
        if (Status refreshed = tiles_.Refresh(tenant); !refreshed.ok())
          return HttpResponse::FromStatus(refreshed);
        view = tiles_.CurrentView(tenant);
        if (!view.ok()) return HttpResponse::FromStatus(view.status());
      }
    }
    if (view->published == nullptr)
      return HttpResponse::Text(404, "no checkpoint cosigned by the log's witness yet");
    HttpResponse response;
    response.cache_control = CheckpointCacheControl(open);
    response.body = view->published;
    return response;
  }
  auto id = ledger::ParseTilePath(rest);
  if (!id.ok()) return HttpResponse::Text(400, id.status().message());
  auto tile = tiles_.ServeTile(tenant, *view, *id);
  if (!tile.ok()) {
    if (tile.status().code() == StatusCode::kOutOfRange)
      return HttpResponse::Text(404, "tile beyond the tree");
    return HttpResponse::FromStatus(tile.status());
  }
  if (!id->is_entries() || !AcceptsGzip(request.Header("accept-encoding")))
    return Binary(*tile, open);
  // Entry bundles are compressed for clients that accept it, as tlog-tiles recommends.
  const std::string gzip_key = VerifiedTiles::CacheKey(tenant, *id) + ".gz";
  VerifiedTiles::Blob compressed = tiles_.CacheGet(gzip_key);
  if (compressed == nullptr) {
    auto gzipped = Gzip(**tile);
    if (!gzipped.ok()) return Binary(*tile, open);
    compressed = std::make_shared<const std::string>(std::move(*gzipped));
    tiles_.CachePut(gzip_key, compressed);
  }
  HttpResponse response = Binary(compressed, open);
  response.headers["Content-Encoding"] = "gzip";
  response.headers["Vary"] = "Accept-Encoding";
  return response;
}

}  // namespace quartet::server
