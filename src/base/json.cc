#include "base/json.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "base/utf8.h"

namespace quartet {
namespace {

// Whether every string in `value`, keys included, is well-formed UTF-8. Iterative, so that nesting
// as deep as a parsed text allows cannot exhaust the stack.
bool AllTextIsUtf8(const Json& value) {
  std::vector<const Json*> pending = {&value};
  while (!pending.empty()) {
    const Json& item = *pending.back();
    pending.pop_back();
    if (item.is_string()) {
      if (!IsValidUtf8(item.get_ref<const Json::string_t&>())) return false;
    } else if (item.is_object()) {
      for (const auto& [key, member] : item.get_ref<const Json::object_t&>()) {
        if (!IsValidUtf8(key)) return false;
        pending.push_back(&member);
      }
    } else if (item.is_array()) {
      for (const Json& element : item.get_ref<const Json::array_t&>()) pending.push_back(&element);
    }
  }
  return true;
}

}  // namespace

StatusOr<Json> ParseJson(std::string_view text, std::string_view what) {
  Json value = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return InvalidArgumentError(std::string(what) + " is not valid JSON");
  return value;
}

StatusOr<std::string> CanonicalJson(const Json& value) {
  if (!AllTextIsUtf8(value)) return InvalidArgumentError("a JSON string is not valid UTF-8");
  return CanonicalJsonOf(value);
}

std::string CanonicalJsonOf(const Json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

StatusOr<JsonObject> JsonObject::Of(const Json& value, std::string_view what) {
  if (!value.is_object()) return InvalidArgumentError(std::string(what) + " must be a JSON object");
  return JsonObject(&value, std::string(what));
}

Status JsonObject::WrongType(std::string_view key, std::string_view type) const {
  return InvalidArgumentError("'" + std::string(key) + "' in " + what_ + " must be " +
                              std::string(type));
}

StatusOr<const Json*> JsonObject::Find(std::string_view key, Field presence) const {
  auto it = value_->find(key);
  if (it == value_->end()) {
    if (presence == Field::kRequired) {
      return InvalidArgumentError("'" + std::string(key) + "' is missing from " + what_);
    }
    return static_cast<const Json*>(nullptr);
  }
  return &*it;
}

bool JsonObject::Has(std::string_view key) const { return value_->contains(key); }

Status JsonObject::OnlyFields(std::initializer_list<std::string_view> known) const {
  for (const auto& [key, member] : value_->get_ref<const Json::object_t&>()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return InvalidArgumentError("unknown field '" + key + "' in " + what_);
    }
  }
  return Status::Ok();
}

StatusOr<std::string> JsonObject::Text(std::string_view key, Field presence) const {
  ASSIGN_OR_RETURN(const Json* field, Find(key, presence));
  if (field == nullptr) return std::string();
  if (!field->is_string()) return WrongType(key, "text");
  return field->get<std::string>();
}

StatusOr<int64_t> JsonObject::Integer(std::string_view key, Field presence) const {
  ASSIGN_OR_RETURN(const Json* field, Find(key, presence));
  if (field == nullptr) return int64_t{0};
  if (field->is_number_unsigned()) {
    const uint64_t value = field->get<uint64_t>();
    if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return WrongType(key, "an integer of at most 63 bits");
    }
    return static_cast<int64_t>(value);
  }
  if (!field->is_number_integer()) return WrongType(key, "an integer");
  return field->get<int64_t>();
}

StatusOr<uint64_t> JsonObject::Unsigned(std::string_view key, Field presence) const {
  ASSIGN_OR_RETURN(const Json* field, Find(key, presence));
  if (field == nullptr) return uint64_t{0};
  if (!field->is_number_unsigned()) {
    if (field->is_number_integer()) return WrongType(key, "a non-negative integer");
    return WrongType(key, "an integer");
  }
  return field->get<uint64_t>();
}

StatusOr<bool> JsonObject::Boolean(std::string_view key, Field presence) const {
  ASSIGN_OR_RETURN(const Json* field, Find(key, presence));
  if (field == nullptr) return false;
  if (!field->is_boolean()) return WrongType(key, "true or false");
  return field->get<bool>();
}

StatusOr<JsonObject> JsonObject::Object(std::string_view key, Field presence) const {
  static const Json kEmpty = Json::object();
  ASSIGN_OR_RETURN(const Json* field, Find(key, presence));
  if (field == nullptr) return JsonObject(&kEmpty, "'" + std::string(key) + "'");
  if (!field->is_object()) return WrongType(key, "an object");
  return JsonObject(field, "'" + std::string(key) + "' in " + what_);
}

StatusOr<const Json*> JsonObject::Array(std::string_view key, Field presence) const {
  static const Json kEmpty = Json::array();
  ASSIGN_OR_RETURN(const Json* field, Find(key, presence));
  if (field == nullptr) return &kEmpty;
  if (!field->is_array()) return WrongType(key, "a list");
  return field;
}

StatusOr<std::vector<JsonObject>> JsonObject::Objects(std::string_view key, Field presence) const {
  ASSIGN_OR_RETURN(const Json* array, Array(key, presence));
  std::vector<JsonObject> out;
  out.reserve(array->size());
  for (const Json& element : *array) {
    if (!element.is_object()) return WrongType(key, "a list of objects");
    out.push_back(JsonObject(&element, "an element of '" + std::string(key) + "' in " + what_));
  }
  return out;
}

StatusOr<std::vector<std::string>> JsonObject::Texts(std::string_view key, Field presence) const {
  ASSIGN_OR_RETURN(const Json* array, Array(key, presence));
  std::vector<std::string> out;
  out.reserve(array->size());
  for (const Json& element : *array) {
    if (!element.is_string()) return WrongType(key, "a list of texts");
    out.push_back(element.get<std::string>());
  }
  return out;
}

StatusOr<JsonDocument> JsonDocument::Parse(std::string_view text, std::string_view what) {
  ASSIGN_OR_RETURN(Json value, ParseJson(text, what));
  if (!value.is_object()) return InvalidArgumentError(std::string(what) + " must be a JSON object");
  return JsonDocument(std::make_unique<Json>(std::move(value)), std::string(what));
}

JsonObject JsonDocument::root() const { return *JsonObject::Of(*value_, what_); }

}  // namespace quartet
