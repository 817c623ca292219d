// JSON from outside — API bodies, server replies, log entries — read one way: parsed without
// exceptions, every field fetched with its type checked, every malformed value a clear
// InvalidArgument naming the field. And one canonical writer (docs/log-format.md): sorted keys, no
// insignificant white space, UTF-8 checked.
//
// Thread safety: values of these types are not shared; the functions are pure.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace quartet {

using Json = nlohmann::json;

// Parses untrusted text. InvalidArgument "<what> is not valid JSON" otherwise; never throws.
StatusOr<Json> ParseJson(std::string_view text, std::string_view what);

// The canonical text of `value`: keys sorted (nlohmann's objects are ordered maps), no white
// space, strings as UTF-8. InvalidArgument for a string that is not valid UTF-8.
StatusOr<std::string> CanonicalJson(const Json& value);
// The same for a value built by this program, whose strings are valid UTF-8 by construction
// (invalid bytes, were there any, are replaced by U+FFFD rather than failing).
std::string CanonicalJsonOf(const Json& value);

enum class Field { kRequired, kOptional };

// Checked reading of one JSON object. Holds a reference: the Json it reads must outlive it.
// Optional fields that are absent read as empty, zero or false; present ones must have the type.
class JsonObject {
 public:
  // InvalidArgument unless `value` is an object. `what` names it in errors ("the reply").
  static StatusOr<JsonObject> Of(const Json& value, std::string_view what);

  StatusOr<std::string> Text(std::string_view key, Field presence) const;
  StatusOr<int64_t> Integer(std::string_view key, Field presence) const;
  // A non-negative integer.
  StatusOr<uint64_t> Unsigned(std::string_view key, Field presence) const;
  StatusOr<bool> Boolean(std::string_view key, Field presence) const;
  // A nested object, or an array; an absent optional one reads as an empty object or array.
  StatusOr<JsonObject> Object(std::string_view key, Field presence) const;
  StatusOr<const Json*> Array(std::string_view key, Field presence) const;
  // Each element of the array `key` as an object (absent optional: none).
  StatusOr<std::vector<JsonObject>> Objects(std::string_view key, Field presence) const;
  // Each element of the array `key` as text.
  StatusOr<std::vector<std::string>> Texts(std::string_view key, Field presence) const;

  bool Has(std::string_view key) const;
  // InvalidArgument "unknown field '<key>' in <what>" for the first member not among `known`: for
  // formats that refuse what they do not understand rather than ignore it.
  Status OnlyFields(std::initializer_list<std::string_view> known) const;
  const Json& json() const { return *value_; }

 private:
  JsonObject(const Json* value, std::string what) : value_(value), what_(std::move(what)) {}
  // The member `key`, nullptr when absent; InvalidArgument when absent and required.
  StatusOr<const Json*> Find(std::string_view key, Field presence) const;
  Status WrongType(std::string_view key, std::string_view type) const;

  const Json* value_;
  std::string what_;
};

// A parsed document that owns its value, for text read from outside.
class JsonDocument {
 public:
  // InvalidArgument unless `text` is a JSON object.
  static StatusOr<JsonDocument> Parse(std::string_view text, std::string_view what);
  JsonDocument(JsonDocument&& other) noexcept = default;
  JsonDocument& operator=(JsonDocument&& other) noexcept = default;

  // Valid while this document lives (and is not moved from).
  JsonObject root() const;
  const Json& json() const { return *value_; }

 private:
  JsonDocument(std::unique_ptr<Json> value, std::string what)
      : value_(std::move(value)), what_(std::move(what)) {}
  // On the heap, so that a JsonObject of it stays valid when the document moves.
  std::unique_ptr<Json> value_;
  std::string what_;
};

}  // namespace quartet
