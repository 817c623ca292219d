#include "client/tile_prefetcher.h"

namespace quartet::client {
namespace {

constexpr size_t kAhead = 64;  // fetched but not yet consumed, at most

// The order in which a streaming verifier needs them: for each entry bundle, the hash tiles whose
// first node it completes, then the bundle.
std::vector<ledger::TileId> ConsumptionOrder(uint64_t size) {
  std::vector<ledger::TileId> order;
  for (uint64_t bundle = 0; bundle * ledger::kTileWidth < size; ++bundle) {
    uint64_t index = bundle;
    for (int level = 0; level < 8; ++level) {
      const uint32_t width = ledger::TileWidthInTree(level, index, size);
      if (width == 0) break;
      order.push_back({level, index, width});
      if (index % ledger::kTileWidth != 0) break;
      index /= ledger::kTileWidth;
    }
    order.push_back({ledger::kEntriesLevel, bundle, ledger::TileWidthInTree(0, bundle, size)});
  }
  return order;
}

std::map<std::string, size_t> Positions(const std::vector<ledger::TileId>& schedule) {
  std::map<std::string, size_t> positions;
  for (size_t i = 0; i < schedule.size(); ++i) positions[schedule[i].Path()] = i;
  return positions;
}

}  // namespace

StatusOr<std::string> FetchBody(HttpClient& http, const std::string& target,
                                const std::string& token) {
  std::map<std::string, std::string> headers;
  if (!token.empty()) headers["Authorization"] = "Bearer " + token;
  ASSIGN_OR_RETURN(HttpResult result, http.Get(target, headers));
  if (result.status == 404) return NotFoundError("GET " + target + ": 404 not found");
  if (result.status == 401)
    return UnauthenticatedError("GET " + target +
                                ": 401: the log is its client's; pass a read token (--token)");
  if (result.status != 200) {
    return UnavailableError("GET " + target + ": HTTP " + std::to_string(result.status));
  }
  return std::move(result.body);
}

TilePrefetcher::TilePrefetcher(const Url& url, uint64_t size, std::string token)
    : url_(url),
      token_(std::move(token)),
      direct_(url),
      schedule_(ConsumptionOrder(size)),
      position_(Positions(schedule_)) {
  worker_ = std::thread([this] { Run(); });
}

TilePrefetcher::~TilePrefetcher() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void TilePrefetcher::Run() {
  HttpClient http(url_);
  for (;;) {
    size_t position;
    {
      MutexLock lock(mu_);
      changed_.wait(mu_, [this]() REQUIRES(mu_) {
        return stop_ || (next_ < schedule_.size() && next_ < consumed_ + kAhead);
      });
      if (stop_) return;
      position = next_++;
    }
    auto body = FetchBody(http, url_.path + "/" + schedule_[position].Path(), token_);
    {
      MutexLock lock(mu_);
      ready_.emplace(position, std::move(body));
    }
    changed_.notify_all();
  }
}

StatusOr<std::string> TilePrefetcher::Fetch(const ledger::TileId& id) {
  const std::string path = id.Path();
  {
    MutexLock lock(mu_);
    auto scheduled = position_.find(path);
    if (scheduled != position_.end() && scheduled->second >= consumed_) {
      const size_t position = scheduled->second;
      changed_.wait(mu_, [&]() REQUIRES(mu_) { return ready_.contains(position); });
      StatusOr<std::string> body = std::move(ready_.at(position));
      consumed_ = position;
      // Whatever was fetched before it and not asked for will not be.
      ready_.erase(ready_.begin(), ready_.upper_bound(position));
      changed_.notify_all();
      return body;
    }
  }
  MutexLock lock(direct_mu_);
  return FetchBody(direct_, url_.path + "/" + path, token_);
}

}  // namespace quartet::client
