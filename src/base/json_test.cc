#include "base/json.h"

#include <gtest/gtest.h>

namespace quartet {
namespace {

TEST(ParseJson, RefusesMalformedTextWithoutThrowing) {
  for (std::string_view text : {"", "{", "{\"a\":}", "[1,]", "nul", "{\"a\":1}x", "\xff"}) {
    auto parsed = ParseJson(text, "the reply");
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(parsed.status().message(), "the reply is not valid JSON");
  }
}

TEST(JsonDocument, NeedsAnObject) {
  auto document = JsonDocument::Parse("[1, 2]", "the body");
  ASSERT_FALSE(document.ok());
  EXPECT_EQ(document.status().message(), "the body must be a JSON object");
}

TEST(JsonObject, ReadsFieldsOfTheirTypes) {
  auto document = JsonDocument::Parse(
      R"({"name":"ana","size":12,"delta":-3,"on":true,"inner":{"x":"y"},"list":["a","b"],)"
      R"("rows":[{"k":1}]})",
      "the reply");
  ASSERT_TRUE(document.ok());
  const JsonObject root = document->root();
  EXPECT_EQ(*root.Text("name", Field::kRequired), "ana");
  EXPECT_EQ(*root.Unsigned("size", Field::kRequired), 12u);
  EXPECT_EQ(*root.Integer("delta", Field::kRequired), -3);
  EXPECT_TRUE(*root.Boolean("on", Field::kRequired));
  EXPECT_EQ(*root.Object("inner", Field::kRequired)->Text("x", Field::kRequired), "y");
  EXPECT_EQ(*root.Texts("list", Field::kRequired), (std::vector<std::string>{"a", "b"}));
  auto rows = root.Objects("rows", Field::kRequired);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(*(*rows)[0].Integer("k", Field::kRequired), 1);
}

TEST(JsonObject, AbsentOptionalFieldsReadEmpty) {
  auto document = JsonDocument::Parse("{}", "the reply");
  ASSERT_TRUE(document.ok());
  const JsonObject root = document->root();
  EXPECT_EQ(*root.Text("name", Field::kOptional), "");
  EXPECT_EQ(*root.Integer("size", Field::kOptional), 0);
  EXPECT_FALSE(*root.Boolean("on", Field::kOptional));
  EXPECT_TRUE((*root.Texts("list", Field::kOptional)).empty());
  EXPECT_FALSE(root.Object("inner", Field::kOptional)->Has("x"));
}

TEST(JsonObject, NamesTheFieldThatIsMissingOrOfTheWrongType) {
  auto document = JsonDocument::Parse(
      R"({"name":7,"size":-1,"big":18446744073709551615,"list":[1]})", "the reply");
  ASSERT_TRUE(document.ok());
  const JsonObject root = document->root();
  EXPECT_EQ(root.Text("name", Field::kRequired).status().message(),
            "'name' in the reply must be text");
  EXPECT_EQ(root.Text("id", Field::kRequired).status().message(), "'id' is missing from the reply");
  EXPECT_EQ(root.Unsigned("size", Field::kRequired).status().message(),
            "'size' in the reply must be a non-negative integer");
  EXPECT_FALSE(root.Integer("big", Field::kRequired).ok());
  EXPECT_FALSE(root.Texts("list", Field::kRequired).ok());
  EXPECT_FALSE(root.Objects("list", Field::kRequired).ok());
  EXPECT_FALSE(root.Boolean("name", Field::kRequired).ok());
}

TEST(JsonObject, OnlyFieldsNamesTheFirstUnknownOne) {
  auto document = JsonDocument::Parse(R"({"a":1,"b":2,"colour":"red"})", "the policy");
  ASSERT_TRUE(document.ok());
  EXPECT_TRUE(document->root().OnlyFields({"a", "b", "colour", "d"}).ok());
  EXPECT_EQ(document->root().OnlyFields({"a", "b"}).message(),
            "unknown field 'colour' in the policy");
}

TEST(JsonObject, StaysValidWhenItsDocumentMoves) {
  auto document = JsonDocument::Parse(R"({"a":"b"})", "x");
  ASSERT_TRUE(document.ok());
  const JsonObject root = document->root();
  JsonDocument moved = std::move(*document);
  EXPECT_EQ(*root.Text("a", Field::kRequired), "b");
  EXPECT_EQ(*moved.root().Text("a", Field::kRequired), "b");
}

TEST(CanonicalJson, SortsKeysAndDropsWhiteSpace) {
  auto value = ParseJson(R"( { "b" : [1, 2], "a" : {"z": "é", "y": null} } )", "x");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*CanonicalJson(*value), R"({"a":{"y":null,"z":"é"},"b":[1,2]})");
  EXPECT_EQ(CanonicalJsonOf(*value), *CanonicalJson(*value));
}

TEST(CanonicalJson, RefusesInvalidUtf8) {
  const Json value = {{"a", std::string("\xc3\x28")}};
  EXPECT_EQ(CanonicalJson(value).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CanonicalJsonOf(value), "{\"a\":\"\xef\xbf\xbd(\"}");
  // In a key, deep in a list, and the forms RFC 3629 forbids: a surrogate, an overlong form.
  EXPECT_FALSE(CanonicalJson({{std::string("k\xff"), 1}}).ok());
  EXPECT_FALSE(CanonicalJson({{"a", {1, {{"b", {std::string("\xed\xa0\x80")}}}}}}).ok());
  EXPECT_FALSE(CanonicalJson(Json(std::string("\xc0\xaf"))).ok());
  EXPECT_EQ(*CanonicalJson(Json(std::string("\xf4\x8f\xbf\xbf"))), "\"\xf4\x8f\xbf\xbf\"");
}

}  // namespace
}  // namespace quartet
