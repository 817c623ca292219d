// Requests to the API arrive from anyone: the route table must match any path, and the body
// reader must turn any bytes into a checked object or a clear error — never an exception, a crash
// or a value of the wrong type. The input is "METHOD PATH\nBODY".
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/json.h"
#include "server/api/router.h"

namespace {

using quartet::Field;
using quartet::JsonObject;

// Every accessor on every key the routes read, required and optional.
void ReadEverything(const JsonObject& body, int depth) {
  static const char* const kKeys[] = {
      "user", "password",   "code",   "resource",         "reason",    "policy", "labels",
      "size", "breakglass", "grants", "duration_seconds", "signature", ""};
  for (const char* key : kKeys) {
    for (Field presence : {Field::kRequired, Field::kOptional}) {
      (void)body.Text(key, presence);
      (void)body.Integer(key, presence);
      (void)body.Unsigned(key, presence);
      (void)body.Boolean(key, presence);
      (void)body.Array(key, presence);
      (void)body.Texts(key, presence);
      if (auto objects = body.Objects(key, presence); objects.ok() && depth < 3) {
        for (const JsonObject& object : *objects) ReadEverything(object, depth + 1);
      }
      if (auto object = body.Object(key, presence); object.ok() && depth < 3)
        ReadEverything(*object, depth + 1);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view line = input.substr(0, newline);
  const std::string_view text =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  static const quartet::server::api::Router router(quartet::server::api::AllRoutes());
  const size_t space = line.find(' ');
  const auto match = router.Find(line.substr(0, space),
                                 space == std::string_view::npos ? "" : line.substr(space + 1));
  if (match.route != nullptr) {
    size_t captures = 0;
    for (char c : match.route->pattern) captures += c == '{';
    if (match.params.size() != captures) std::abort();
    for (const auto& param : match.params)
      if (param.empty() || param.find('/') != std::string::npos) std::abort();
  }

  auto body = quartet::JsonDocument::Parse(text, "the body");
  if (!body.ok()) return 0;
  ReadEverything(body->root(), 0);
  // What was read is what a canonical writer writes back.
  auto canonical = quartet::CanonicalJson(body->json());
  if (canonical.ok()) {
    auto again = quartet::JsonDocument::Parse(*canonical, "the body");
    if (!again.ok() || again->json() != body->json()) std::abort();
  }
  return 0;
}
