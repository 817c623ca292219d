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
// Thread safety: Handle may be called from many threads at once.
#pragma once

#include <chrono>
#include <string>

#include "server/http.h"
#include "server/log_publisher.h"
#include "server/verified_tiles.h"
#include "store/data_folder.h"

namespace quartet::server {

class LogService {
 public:
  struct Options {
    std::chrono::milliseconds publish_interval{100};
    size_t tile_cache_bytes = size_t{512} << 20;
  };

  LogService(store::DataFolder& folder, Options options)
      : folder_(folder),
        tiles_(folder, options.tile_cache_bytes),
        publisher_(folder, tiles_, options.publish_interval) {}
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
  VerifiedTiles tiles_;
  LogPublisher publisher_;
};

}  // namespace quartet::server
