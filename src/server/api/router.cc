#include "server/api/router.h"

#include "server/api/api_common.h"

namespace quartet::server::api {

Router::Router(std::vector<Route> routes) {
  for (const Route& route : routes) {
    Compiled compiled{route, SplitPath(route.pattern)};
    for (std::string& segment : compiled.segments) {
      if (segment.starts_with('{') && segment.ends_with('}')) segment = "{}";
    }
    routes_.push_back(std::move(compiled));
  }
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  const std::vector<std::string> segments = SplitPath(path);
  bool path_matched = false;
  for (const Compiled& compiled : routes_) {
    if (compiled.segments.size() != segments.size()) continue;
    Match match{&compiled.route, false, {}};
    bool matches = true;
    for (size_t i = 0; i < segments.size() && matches; ++i) {
      if (compiled.segments[i] == "{}") {
        matches = !segments[i].empty();
        match.params.push_back(segments[i]);
      } else {
        matches = compiled.segments[i] == segments[i];
      }
    }
    if (!matches) continue;
    path_matched = true;
    if (compiled.route.method == method) return match;
  }
  return Match{nullptr, path_matched, {}};
}

}  // namespace quartet::server::api
