#include "server/web_service.h"

#include <regex>

#include <gtest/gtest.h>

#include "server/gzip.h"

namespace quartet::server {
namespace {

HttpResponse Get(const WebService& web, const std::string& target,
                 std::map<std::string, std::string> headers = {}) {
  HttpRequest request;
  request.method = "GET";
  request.target = target;
  request.headers = std::move(headers);
  return web.Handle(request);
}

TEST(WebServiceTest, ThePageNamesThisBuildsFilesWhichAreCachedForGood) {
  const WebService web;
  const HttpResponse page = Get(web, "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(page.cache_control, "no-cache");
  EXPECT_NE(page.headers.at("Content-Security-Policy").find("script-src 'self'"),
            std::string::npos);
  std::smatch match;
  ASSERT_TRUE(std::regex_search(*page.body, match,
                                std::regex(R"re("/assets/(v-[0-9a-f]{16})/js/app\.js")re")))
      << *page.body;
  const std::string version = match[1];
  // No file is named without the version in the page.
  EXPECT_EQ(page.body->find("\"/assets/js/"), std::string::npos);

  const HttpResponse script = Get(web, "/assets/" + version + "/js/app.js");
  ASSERT_EQ(script.status, 200);
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(script.cache_control, "public, max-age=31536000, immutable");
  // Another build's name still loads today's file, revalidated; so does no version at all.
  const HttpResponse old = Get(web, "/assets/v-0000000000000000/js/app.js");
  EXPECT_EQ(old.status, 200);
  EXPECT_EQ(old.cache_control, "no-cache");
  EXPECT_EQ(*old.body, *script.body);
  EXPECT_EQ(Get(web, "/assets/js/app.js").cache_control, "no-cache");
}

TEST(WebServiceTest, RevalidatesCompressesAndRefusesWhatItDoesNotServe) {
  const WebService web;
  const HttpResponse script = Get(web, "/assets/js/tlog.js");
  ASSERT_EQ(script.status, 200);
  const std::string etag = script.headers.at("ETag");
  EXPECT_EQ(Get(web, "/assets/js/tlog.js", {{"if-none-match", etag}}).status, 304);
  const HttpResponse gzipped = Get(web, "/assets/js/tlog.js", {{"accept-encoding", "gzip, br"}});
  ASSERT_EQ(gzipped.headers.at("Content-Encoding"), "gzip");
  auto inflated = Gunzip(*gzipped.body, 1 << 24);
  ASSERT_TRUE(inflated.ok());
  EXPECT_EQ(*inflated, *script.body);

  EXPECT_EQ(Get(web, "/assets/js/nothing.js").status, 404);
  EXPECT_EQ(Get(web, "/assets/v-abc").status, 404);
  EXPECT_EQ(Get(web, "/assets/../quartet.db").status, 404);
  HttpRequest post;
  post.method = "POST";
  post.target = "/";
  EXPECT_EQ(web.Handle(post).status, 405);
  EXPECT_TRUE(WebService::Owns("/"));
  EXPECT_TRUE(WebService::Owns("/assets/css/app.css?x=1"));
  EXPECT_FALSE(WebService::Owns("/api/v1/me"));
  EXPECT_FALSE(WebService::Owns("/logs/acme/checkpoint"));
}

}  // namespace
}  // namespace quartet::server
