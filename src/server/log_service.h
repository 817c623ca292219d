// Publishes every tenant's log over HTTP as C2SP tlog-tiles:
//   GET /logs/<tenant>/checkpoint                 text/plain; charset=utf-8, cached a few seconds
//     (for a log with a witness, the latest checkpoint it cosigned, with both signatures)
//   GET /logs/<tenant>/tile/<L>/<N>[.p/<W>]       application/octet-stream, immutable
//   GET /logs/<tenant>/tile/entries/<N>[.p/<W>]   application/octet-stream, immutable
//
// Nothing is served that has not been checked against the latest signed checkpoint
// (verified_tiles.h); a corrupted file is a 500 and an error in the server's log. StartPublishing
// integrates and publishes new entries in the background (log_publisher.h).
//
// A log is its client's: with an Authorizer (governance/log_readers.h), every path of a log needs a
// credential — `Authorization: Bearer <token>` or the dashboard's session cookie — and answers 401
// without one (with `WWW-Authenticate: Bearer`), whether or not the log exists; a credential that
// may not read it gets the 404 of a log that does not exist. What is served is `private` to caches,
// unless the client's owners published the log openly.
//
// Thread safety: Handle may be called from many threads at once.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "server/http.h"
#include "server/log_publisher.h"
#include "server/verified_tiles.h"
#include "store/data_folder.h"

namespace quartet::server {

class LogService {
 public:
  // Whether `credential` (empty: none) may read the log of `tenant`: true when the log is open to
  // anyone. Unauthenticated, or NotFound for one that may not (governance::LogReaders::CheckRead).
  using Authorizer =
      std::function<StatusOr<bool>(std::string_view credential, const std::string& tenant)>;

  struct Options {
    std::chrono::milliseconds publish_interval{100};
    size_t tile_cache_bytes = size_t{512} << 20;
    Authorizer authorize;  // none: every log is open (tools that serve a data folder locally)
  };

  LogService(store::DataFolder& folder, Options options)
      : folder_(folder),
        authorize_(std::move(options.authorize)),
        tiles_(folder, options.tile_cache_bytes),
        publisher_(folder, tiles_, options.publish_interval) {}

  // Set once, before the first request (the authorizer may need services made after this one).
  void SetAuthorizer(Authorizer authorize) { authorize_ = std::move(authorize); }
  LogService(const LogService&) = delete;
  LogService& operator=(const LogService&) = delete;

  // Takes the data folder's integration lock and starts the publishing thread. Unavailable if
  // another process publishes this folder.
  Status StartPublishing() { return publisher_.Start(); }
  void StopPublishing() { publisher_.Stop(); }
  // Integrates and publishes every log once, now (used at start-up and by tests).
  Status PublishOnce() { return publisher_.PublishOnce(); }

  // The latest signed checkpoint whose tiles are served (checked against it): what a witness may
  // be offered. NotFound for an unknown log or one with no checkpoint yet.
  StatusOr<ledger::StoredCheckpoint> ServedCheckpoint(const std::string& tenant) {
    return tiles_.ServedCheckpoint(tenant);
  }

  // Serves a request whose path starts with /logs/. Anything else is 404.
  HttpResponse Handle(const HttpRequest& request);

 private:
  store::DataFolder& folder_;
  Authorizer authorize_;
  VerifiedTiles tiles_;
  LogPublisher publisher_;
};

}  // namespace quartet::server
