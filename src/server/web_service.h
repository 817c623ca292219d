// Serves the owner's dashboard: the page at "/" and its files under "/assets/", from the binary
// itself. The page names its files under "/assets/<version>/" (a digest of all of them), cached by
// browsers for good; everything else is revalidated by ETag. Sent gzip-compressed when the browser
// accepts it. Every page is sent with a strict Content-Security-Policy: only this server's own
// scripts, styles and connections, no inline script, no framing.
//
// Thread-safe after construction.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "server/http.h"

namespace quartet::server {

class WebService {
 public:
  WebService();
  // Whether `target` is the dashboard's: "/", "/index.html" or under "/assets/".
  static bool Owns(std::string_view target);
  HttpResponse Handle(const HttpRequest& request) const;

 private:
  struct File {
    std::string content_type;
    std::string etag;
    std::shared_ptr<const std::string> body;
    std::shared_ptr<const std::string> gzipped;
  };
  std::map<std::string, File, std::less<>> files_;
  std::string version_;
};

}  // namespace quartet::server
