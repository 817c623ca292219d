// Fetches a log's tiles and entry bundles ahead of a verifier that reads them in order, on a second
// connection and thread, so that network and hashing overlap. Thread-safe.
#pragma once

#include <condition_variable>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "client/http_client.h"
#include "ledger/tiles.h"

namespace quartet::client {

class TilePrefetcher {
 public:
  // Fetches `<url.path>/<tile path>` from `url`'s server for a tree of `size` entries, with
  // `token` as a bearer token when not empty (a log is its client's: docs/log-format.md).
  TilePrefetcher(const Url& url, uint64_t size, std::string token = "");
  ~TilePrefetcher();
  TilePrefetcher(const TilePrefetcher&) = delete;
  TilePrefetcher& operator=(const TilePrefetcher&) = delete;

  // The bytes of a tile: from the prefetched ones if scheduled, else fetched now. NotFound for 404.
  StatusOr<std::string> Fetch(const ledger::TileId& id);

 private:
  void Run();

  const Url url_;
  const std::string token_;
  HttpClient direct_;  // used by callers of Fetch for tiles not scheduled; guarded by direct_mu_
  Mutex direct_mu_;
  Mutex mu_;
  std::condition_variable_any changed_;
  // The tiles in the order the verifier consumes them; the worker fetches schedule_[next_] while it
  // is less than kAhead past the last one consumed. Tiles skipped by the consumer never block it.
  const std::vector<ledger::TileId> schedule_;
  const std::map<std::string, size_t> position_;
  std::map<size_t, StatusOr<std::string>> ready_ GUARDED_BY(mu_);
  size_t next_ GUARDED_BY(mu_) = 0;
  size_t consumed_ GUARDED_BY(mu_) = 0;
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread worker_;
};

// GETs `target` (with `token` as a bearer token when not empty) and returns the body of a 200;
// NotFound for 404, Unauthenticated for 401, Unavailable otherwise.
StatusOr<std::string> FetchBody(HttpClient& http, const std::string& target,
                                const std::string& token = "");

}  // namespace quartet::client
