#include "trust/chain_vectors_testing.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "access/approval.h"
#include "access/policy.h"
#include "base/random.h"
#include "trust/chain.h"

namespace quartet::trust {
namespace {

using access::OwnerSigner;
using Signers = std::vector<OwnerSigner>;

constexpr int64_t kStart = 1782900000;

// A chain being built for a case: each statement made for its head and signed.
class Builder {
 public:
  explicit Builder(std::string client = "acme") : client_(client), chain_(std::move(client)) {}

  const std::string& client() const { return client_; }
  const Chain& chain() const { return chain_; }
  const std::vector<std::string>& statements() const { return statements_; }

  // The next body, for the head as it stands.
  std::string Body(std::string_view kind, Json fields) {
    return chain_.NextBody(kind, std::move(fields), at_++);
  }
  // The next statement, signed and not applied.
  std::string Make(std::string_view kind, Json fields, const Signers& signers) {
    return SignStatement(Body(kind, std::move(fields)), signers);
  }
  // Makes, signs and applies the next statement, which must be accepted: the vectors' own valid
  // chains are a broken invariant otherwise.
  void Next(std::string_view kind, Json fields, const Signers& signers) {
    Add(Make(kind, std::move(fields), signers));
  }
  void Add(const std::string& statement) {
    const Status applied = chain_.Apply(statement);
    if (!applied.ok()) {
      std::fprintf(stderr, "trust vectors: %s\n", applied.ToString().c_str());
      std::abort();
    }
    statements_.push_back(statement);
  }
  // The statements so far, and `extra` after them.
  std::vector<std::string> With(const std::string& extra) const {
    std::vector<std::string> out = statements_;
    out.push_back(extra);
    return out;
  }

 private:
  std::string client_;
  Chain chain_;
  std::vector<std::string> statements_;
  int64_t at_ = kStart;
};

Json Parsed(std::string_view text) { return *ParseJson(text, "a body"); }

// What Replay says: accepted, with the summary; or refused, with the code and the position the
// error names ("trust statement N").
Json Expect(const std::string& client, std::span<const std::string> statements,
            const std::optional<Chain::Verified>& verified) {
  auto replayed = Chain::Replay(client, statements, verified);
  if (replayed.ok()) {
    return {{"accepted", true},
            {"summary", SummaryJson(replayed->state())},
            {"head", HexEncode(replayed->state().head)}};
  }
  const std::string message = replayed.status().message();
  constexpr std::string_view kPrefix = "trust statement ";
  if (!message.starts_with(kPrefix)) std::abort();
  return {{"accepted", false},
          {"code", std::string(StatusCodeName(replayed.status().code()))},
          {"position", std::stoull(message.substr(kPrefix.size()))},
          {"message", message}};
}

class Vectors {
 public:
  Vectors() {
    laptop_.emplace(OwnerSigner::Generate(random_));
    phone_.emplace(OwnerSigner::Generate(random_));
    tablet_.emplace(OwnerSigner::Generate(random_));
    oscar_.emplace(OwnerSigner::Generate(random_));
    oscar_phone_.emplace(OwnerSigner::Generate(random_));
    recovery_.emplace(OwnerSigner::Generate(random_));
    recovery2_.emplace(OwnerSigner::Generate(random_));
    fresh_.emplace(OwnerSigner::Generate(random_));
    outsider_.emplace(OwnerSigner::Generate(random_));
  }

  Json Make() {
    Valid();
    Shape();
    Order();
    Genesis();
    Devices();
    Owners();
    Terms();
    Recovery();
    Pinned();
    Links();
    return {{"about",
             "Trust chains and what src/trust/chain.cc says of them (docs/trust-chain.md); made "
             "by trust_vectors, checked by chain_vectors_test.cc and web/test/trust.test.mjs."},
            {"chains", chains_},
            {"links", links_}};
  }

 private:
  const OwnerSigner& laptop() const { return *laptop_; }
  const OwnerSigner& phone() const { return *phone_; }
  const OwnerSigner& tablet() const { return *tablet_; }
  const OwnerSigner& oscar() const { return *oscar_; }
  const OwnerSigner& oscar_phone() const { return *oscar_phone_; }
  const OwnerSigner& recovery() const { return *recovery_; }
  const OwnerSigner& recovery2() const { return *recovery2_; }
  const OwnerSigner& fresh() const { return *fresh_; }
  const OwnerSigner& outsider() const { return *outsider_; }

  static std::string Key(const OwnerSigner& signer) {
    return Base64Encode(signer.key().public_key);
  }
  static Json Device(const OwnerSigner& signer, std::string_view name) {
    return DeviceJson(signer.key(), name);
  }

  void Case(const std::string& name, const std::string& client,
            const std::vector<std::string>& statements,
            const std::optional<Chain::Verified>& verified = std::nullopt) {
    Json item = Json::object();
    item["name"] = name;
    item["client"] = client;
    item["statements"] = Json::array();
    for (const std::string& statement : statements) item["statements"].push_back(statement);
    item["expect"] = Expect(client, statements, verified);
    if (verified.has_value()) {
      item["verified"] = Json::object();
      item["verified"]["size"] = verified->size;
      item["verified"]["head"] = HexEncode(verified->head);
    }
    chains_.push_back(std::move(item));
  }
  // A case of `base`'s statements and `extra`.
  void Case(const std::string& name, const Builder& base, const std::string& extra) {
    Case(name, base.client(), base.With(extra));
  }

  Json GenesisFields(const OwnerSigner& device, const OwnerSigner& recovery) const {
    return {
        {"owner", "olivia"}, {"device", Device(device, "laptop")}, {"recovery_key", Key(recovery)}};
  }
  // olivia's chain: the genesis with her laptop.
  Builder Olivia() const {
    Builder b;
    b.Next("genesis", GenesisFields(laptop(), recovery()), {laptop()});
    return b;
  }
  // olivia and oscar, a change needing both; olivia has her laptop and phone.
  Builder TwoOwners() const {
    Builder b = Olivia();
    b.Next("device.added", {{"owner", "olivia"}, {"device", Device(phone(), "phone")}},
           {laptop(), phone()});
    b.Next("owner.added", {{"owner", "oscar"}, {"device", Device(oscar(), "desktop")}},
           {laptop(), oscar()});
    b.Next("threshold.set", {{"threshold", 2}}, {laptop(), oscar()});
    return b;
  }
  static std::string Policy() {
    return access::ToJson(access::Policy::SafeDefault("Europe/London"));
  }

  void Valid() {
    Case("a genesis alone", "acme", Olivia().statements());
    Builder b = Olivia();
    b.Next("device.added", {{"owner", "olivia"}, {"device", Device(phone(), "phone")}},
           {laptop(), phone()});
    b.Next("device.added", {{"owner", "olivia"}, {"device", Device(tablet(), "tablet")}},
           {recovery(), tablet()});
    b.Next("owner.added", {{"owner", "oscar"}, {"device", Device(oscar(), "desktop")}},
           {laptop(), oscar()});
    b.Next("threshold.set", {{"threshold", 2}}, {laptop(), oscar()});
    b.Next("policy.signed", {{"policy", Policy()}}, {phone(), oscar()});
    b.Next("resource.signed",
           {{"resource", "fileserver"},
            {"resource_kind", "ssh-host"},
            {"labels", Json::array({"financial", "personal"})}},
           {oscar(), laptop()});
    b.Next("agent.confirmed",
           {{"name", "acme-agent"},
            {"witness_key", "acme-agent+1234abcd+AQID"},
            {"ssh_ca_key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA ca"},
            {"sealing_key", "age1sealing"}},
           {laptop(), oscar()});
    // An owner removes and adds their own devices alone, whatever the threshold.
    b.Next("device.removed", {{"owner", "olivia"}, {"key_id", tablet().key().Id()}}, {phone()});
    b.Next("device.added", {{"owner", "oscar"}, {"device", Device(oscar_phone(), "")}},
           {oscar_phone(), oscar()});
    b.Next("threshold.set", {{"threshold", 1}}, {laptop(), oscar_phone()});
    b.Next("owner.removed", {{"owner", "oscar"}}, {laptop()});
    b.Next("recovered",
           {{"owner", "olivia"},
            {"device", Device(fresh(), "new laptop")},
            {"recovery_key", Key(recovery2())}},
           {recovery(), fresh()});
    b.Next("device.added", {{"owner", "olivia"}, {"device", Device(tablet(), "tablet again")}},
           {fresh(), tablet()});
    Case("every kind of statement", "acme", b.statements());

    // Another owner's device removes one of olivia's when one signature is the threshold.
    Builder c = Olivia();
    c.Next("device.added", {{"owner", "olivia"}, {"device", Device(phone(), "phone")}},
           {laptop(), phone()});
    c.Next("owner.added", {{"owner", "oscar"}, {"device", Device(oscar(), "")}},
           {laptop(), oscar()});
    c.Next("device.removed", {{"owner", "olivia"}, {"key_id", phone().key().Id()}}, {oscar()});
    c.Next("device.added", {{"owner", "olivia"}, {"device", Device(tablet(), "tablet")}},
           {oscar(), tablet()});
    c.Next("owner.removed", {{"owner", "olivia"}}, {oscar()});
    Case("owners act for each other within the threshold", "acme", c.statements());

    // What canonical JSON allows: any text in a device's name, fields the chain does not read,
    // negative integers, an outer object with white space and fields of its own.
    Builder d("kestrel-law");
    d.Next("genesis",
           {{"owner", "o.brien"},
            {"device", Device(laptop(), "Olivia’s \"work\" laptop \\ é\n\t\x01")},
            {"recovery_key", Key(recovery())}},
           {laptop()});
    d.Next("threshold.set",
           {{"threshold", 1},
            {"note",
             {{"z", Json::array({true, false, nullptr, -7, 0, 18446744073709551615u})},
              {"a", "🔑"},
              {"é", 1}}}},
           {laptop()});
    Json negative = Parsed(d.Body("threshold.set", {{"threshold", 1}}));
    negative["at"] = -1;
    d.Add(SignStatement(CanonicalJsonOf(negative), Signers{laptop()}));
    const std::string spaced = d.Make("threshold.set", {{"threshold", 1}}, {laptop()});
    Json outer = Parsed(spaced);
    outer["relayed_by"] = "the server";
    d.Add(outer.dump(2));
    Case("free text, unread fields, negative integers, a loose outer object", d.client(),
         d.statements());
  }

  // Statements that are not well-formed: refused before any signature is checked.
  void Shape() {
    Builder b = Olivia();
    const std::string good = b.Make("threshold.set", {{"threshold", 1}}, {laptop()});
    const Json good_outer = Parsed(good);
    const std::string body = good_outer["body"].get<std::string>();
    auto with_body = [&](const std::string& text) {
      return SignStatement(text, Signers{laptop()});
    };
    auto with_outer = [&](Json outer) { return outer.dump(); };
    auto edited = [&](const std::function<void(Json&)>& edit) {
      Json fields = Parsed(body);
      edit(fields);
      return with_body(CanonicalJsonOf(fields));
    };
    Case("not JSON", b, "this is not JSON");
    Case("a statement that is not an object", b, "[1,2]");
    Case("a statement without a body", b, with_outer({{"signatures", good_outer["signatures"]}}));
    Case("a body that is not text", b,
         with_outer({{"body", Parsed(body)}, {"signatures", good_outer["signatures"]}}));
    Case("a body that is not JSON", b, with_body("{\"kind\":"));
    Case("a body that is not an object", b, with_body("[]"));
    Case("a body with white space", b, with_body(" " + body));
    Case("a body with white space inside", b, with_body(body.substr(0, 1) + " " + body.substr(1)));
    Case("a body with keys out of order", b,
         with_body("{\"threshold\":1," + body.substr(1, body.find(",\"threshold\"") - 1) + "}"));
    Case("a body with an escaped letter", b,
         with_body(body.substr(0, body.size() - 1) + ",\"x\":\"\\u0041\"}"));
    Case("a body with an escaped slash", b,
         with_body(body.substr(0, body.size() - 1) + ",\"x\":\"a\\/b\"}"));
    Case("a body with an upper-case escape", b,
         with_body(body.substr(0, body.size() - 1) + ",\"x\":\"\\u001F\"}"));
    Case("a body with a raw control character", b,
         with_body(body.substr(0, body.size() - 1) + ",\"x\":\"\x01\"}"));
    Case("a body with a key twice", b,
         with_body(body.substr(0, body.size() - 1) + ",\"threshold\":1}"));
    Case("a body with a fraction", b, edited([](Json& f) { f["x"] = 1.5; }));
    Case("a body with an exponent", b, with_body(body.substr(0, body.size() - 1) + ",\"x\":1e3}"));
    Case("a body with minus zero", b, with_body(body.substr(0, body.size() - 1) + ",\"x\":-0}"));
    Case("a body with a leading zero", b,
         with_body(body.substr(0, body.size() - 1) + ",\"x\":01}"));
    Case("a body with an integer beyond 64 bits", b,
         with_body(body.substr(0, body.size() - 1) + ",\"x\":18446744073709551616}"));
    Case("a body with a lone surrogate", b,
         "{\"body\":\"{\\\"x\\\":\\\"\\ud800\\\"}\",\"signatures\":" +
             good_outer["signatures"].dump() + "}");
    Case("a body with trailing text", b, with_body(body + "x"));
    Case("an unknown kind", b, edited([](Json& f) { f["kind"] = "owner.promoted"; }));
    Case("no kind", b, edited([](Json& f) { f.erase("kind"); }));
    Case("no seq", b, edited([](Json& f) { f.erase("seq"); }));
    Case("a negative seq", b, edited([](Json& f) { f["seq"] = -1; }));
    Case("a seq that is text", b, edited([](Json& f) { f["seq"] = "1"; }));
    Case("no chain", b, edited([](Json& f) { f.erase("chain"); }));
    Case("no prev", b, edited([](Json& f) { f.erase("prev"); }));
    Case("a prev that is not text", b, edited([](Json& f) { f["prev"] = 0; }));
    Case("no at", b, edited([](Json& f) { f.erase("at"); }));
    Case("an at that is text", b, edited([](Json& f) { f["at"] = "now"; }));
    Case("an at beyond 63 bits", b, edited([](Json& f) { f["at"] = 9223372036854775808u; }));
    auto with_signatures = [&](Json signatures) {
      return with_outer({{"body", body}, {"signatures", std::move(signatures)}});
    };
    const Json signature = good_outer["signatures"][0];
    Case("no signatures", b, with_outer({{"body", body}}));
    Case("signatures that are not a list", b, with_signatures(signature));
    Case("an empty list of signatures", b, with_signatures(Json::array()));
    Case("a signature that is not an object", b, with_signatures(Json::array({"sig"})));
    Case("a signature without a key ID", b,
         with_signatures(Json::array({{{"signature", signature["signature"]}}})));
    Case("a key ID that is not text", b,
         with_signatures(Json::array({{{"key_id", 7}, {"signature", signature["signature"]}}})));
    Case("a signature that is not base64", b,
         with_signatures(Json::array({{{"key_id", signature["key_id"]}, {"signature", "!!!!"}}})));
    Case("a signature in base64 without padding", b,
         with_signatures(Json::array(
             {{{"key_id", signature["key_id"]},
               {"signature", signature["signature"].get<std::string>().substr(0, 86)}}})));
    Case("a signature of 63 bytes", b,
         with_signatures(Json::array(
             {{{"key_id", signature["key_id"]}, {"signature", Base64Encode(Bytes(63, 1))}}})));
    Case("a key that signs twice", b, with_signatures(Json::array({signature, signature})));
  }

  // Statements that do not follow the chain's head.
  void Order() {
    Builder b = Olivia();
    const std::string body = b.Body("threshold.set", {{"threshold", 1}});
    auto edited = [&](const std::function<void(Json&)>& edit) {
      Json fields = Parsed(body);
      edit(fields);
      return SignStatement(CanonicalJsonOf(fields), Signers{laptop()});
    };
    Case("another client's chain", b, edited([](Json& f) { f["chain"] = "beta"; }));
    Case("a seq that skips one", b, edited([](Json& f) { f["seq"] = 2; }));
    Case("a seq far ahead", b, edited([](Json& f) { f["seq"] = 1000; }));
    Case("the genesis again", b, b.statements()[0]);
    Case("a prev that is not the head", b,
         edited([](Json& f) { f["prev"] = std::string(64, '0'); }));
    Case("an empty prev after the genesis", b, edited([](Json& f) { f["prev"] = ""; }));
    Case("a prev in upper case", b, edited([](Json& f) {
           std::string prev = f["prev"].get<std::string>();
           for (char& c : prev) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
           f["prev"] = prev;
         }));
    Builder empty;
    Case("a chain that starts with another kind", "acme",
         {empty.Make("threshold.set", {{"threshold", 1}}, {laptop()})});
    Case("a second genesis", b, b.Make("genesis", GenesisFields(phone(), recovery2()), {phone()}));
    Case("an empty chain", "acme", {});
  }

  void Genesis() {
    auto genesis = [&](Json fields, const Signers& signers) {
      Builder fresh_chain;
      return std::vector<std::string>{fresh_chain.Make("genesis", std::move(fields), signers)};
    };
    Json fields = GenesisFields(laptop(), recovery());
    Case("a genesis signed by another key", "acme", genesis(fields, {phone()}));
    Case("a genesis also signed by a key the chain does not know", "acme",
         genesis(fields, {laptop(), phone()}));
    Json copy = fields;
    copy["owner"] = "olivia smith";
    Case("an owner name with a space", "acme", genesis(copy, {laptop()}));
    copy["owner"] = std::string(65, 'o');
    Case("an owner name of 65 characters", "acme", genesis(copy, {laptop()}));
    copy["owner"] = "";
    Case("an empty owner name", "acme", genesis(copy, {laptop()}));
    copy["owner"] = "olívia";
    Case("an owner name that is not ASCII", "acme", genesis(copy, {laptop()}));
    copy = fields;
    copy["device"]["name"] = std::string(65, 'n');
    Case("a device name of 65 bytes", "acme", genesis(copy, {laptop()}));
    copy["device"]["name"] = "";
    for (int i = 0; i < 22; ++i)
      copy["device"]["name"] = copy["device"]["name"].get<std::string>() + "é";
    Case("a device name of 22 letters in 44 bytes", "acme", genesis(copy, {laptop()}));
    for (int i = 0; i < 11; ++i)
      copy["device"]["name"] = copy["device"]["name"].get<std::string>() + "é";
    Case("a device name of 33 letters in 66 bytes", "acme", genesis(copy, {laptop()}));
    copy = fields;
    copy["device"]["key_id"] = phone().key().Id();
    Case("a device whose key ID is another key's", "acme", genesis(copy, {laptop()}));
    copy = fields;
    copy["device"].erase("name");
    Case("a device without a name", "acme", genesis(copy, {laptop()}));
    copy = fields;
    copy["device"] = "laptop";
    Case("a device that is not an object", "acme", genesis(copy, {laptop()}));
    copy = fields;
    copy.erase("recovery_key");
    Case("a genesis without a recovery key", "acme", genesis(copy, {laptop()}));
    copy["recovery_key"] = Key(laptop());
    Case("a recovery key that is the device", "acme", genesis(copy, {laptop()}));
    copy["recovery_key"] = Base64Encode(Bytes(31, 9));
    Case("a recovery key of 31 bytes", "acme", genesis(copy, {laptop()}));
    for (const auto& [name, key] : BadKeys()) {
      copy["recovery_key"] = Base64Encode(key);
      Case("a recovery key that is " + name, "acme", genesis(copy, {laptop()}));
      Json device = fields;
      device["device"]["public_key"] = Base64Encode(key);
      device["device"]["key_id"] = access::OwnerKey{key}.Id();
      Case("a device key that is " + name, "acme", genesis(device, {laptop()}));
    }
  }

  // Encodings libsodium refuses as keys, each for a reason of its own.
  std::vector<std::pair<std::string, Bytes>> BadKeys() const {
    std::vector<std::pair<std::string, Bytes>> out;
    Bytes identity(32, 0);
    identity[0] = 1;
    out.push_back({"the identity (small order)", identity});
    Bytes zero(32, 0);
    out.push_back({"y = 0 (small order)", zero});
    Bytes minus_one(32, 0xff);
    minus_one[0] = 0xec;
    minus_one[31] = 0x7f;
    out.push_back({"y = p - 1 (small order)", minus_one});
    Bytes identity_negative = identity;
    identity_negative[31] |= 0x80;
    out.push_back({"the identity with the sign bit set", identity_negative});
    Bytes p_plus_two(32, 0xff);
    p_plus_two[0] = 0xef;
    p_plus_two[31] = 0x7f;
    out.push_back({"not canonical (y = p + 2)", p_plus_two});
    // Not on the curve: the first y from 2 up that has no x.
    for (uint8_t y = 2;; ++y) {
      Bytes candidate(32, 0);
      candidate[0] = y;
      if (crypto_core_ed25519_is_valid_point(candidate.data()) == 0) {
        unsigned char check[32];
        // A point of small order or outside the subgroup would still add; one off the curve
        // does not.
        if (crypto_core_ed25519_add(check, candidate.data(), laptop().key().public_key.data()) !=
            0) {
          out.push_back({"not on the curve", candidate});
          break;
        }
      }
    }
    // A key plus a point of order 8: on the curve, outside the prime-order subgroup.
    const uint8_t order8[32] = {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
                                0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
                                0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05};
    out.push_back({"an order-8 point (small order)", Bytes(order8, order8 + 32)});
    Bytes mixed(32);
    if (crypto_core_ed25519_add(mixed.data(), laptop().key().public_key.data(), order8) != 0)
      std::abort();
    out.push_back({"outside the prime-order subgroup", mixed});
    return out;
  }

  void Devices() {
    Builder b = Olivia();
    const Json add_phone = {{"owner", "olivia"}, {"device", Device(phone(), "phone")}};
    Case("a device.added without the new device's signature", b,
         b.Make("device.added", add_phone, {laptop()}));
    Case("a device.added signed by the new device alone", b,
         b.Make("device.added", add_phone, {phone()}));
    Case("a device.added signed by a key outside the chain", b,
         b.Make("device.added", add_phone, {outsider(), phone()}));
    Case("a device.added for an owner the chain does not have", b,
         b.Make("device.added", {{"owner", "mallory"}, {"device", Device(phone(), "")}},
                {laptop(), phone()}));
    Case("a device.added of a device in the chain", b,
         b.Make("device.added", {{"owner", "olivia"}, {"device", Device(laptop(), "")}},
                {laptop()}));
    std::string forged = b.Make("device.added", add_phone, {laptop(), phone()});
    Json outer = Parsed(forged);
    outer["signatures"][0]["signature"] = Base64Encode(Bytes(64, 3));
    Case("a device.added whose owner's signature does not verify", b, outer.dump());
    outer = Parsed(forged);
    outer["signatures"][1]["signature"] = outer["signatures"][0]["signature"];
    Case("a device.added whose new device's signature does not verify", b, outer.dump());
    // A signature made over other bytes: the body without its domain prefix.
    outer = Parsed(forged);
    outer["signatures"][0]["signature"] =
        Base64Encode(laptop().SignMessage(outer["body"].get<std::string>()));
    Case("a signature without the statement domain", b, outer.dump());

    Builder two = TwoOwners();
    Case("a device.added for olivia signed by oscar when two must sign", two,
         two.Make("device.added", {{"owner", "olivia"}, {"device", Device(tablet(), "")}},
                  {oscar(), tablet()}));
    Case("a device.removed of olivia's by oscar when two must sign", two,
         two.Make("device.removed", {{"owner", "olivia"}, {"key_id", phone().key().Id()}},
                  {oscar()}));
    Case("a device.removed of a device the chain does not have", two,
         two.Make("device.removed", {{"owner", "olivia"}, {"key_id", tablet().key().Id()}},
                  {laptop()}));
    Case("a device.removed naming another owner's device", two,
         two.Make("device.removed", {{"owner", "olivia"}, {"key_id", oscar().key().Id()}},
                  {laptop(), oscar()}));
    Case("a device.removed of an owner's last device", two,
         two.Make("device.removed", {{"owner", "oscar"}, {"key_id", oscar().key().Id()}},
                  {oscar(), laptop()}));
    Case("a device.removed without a key ID", two,
         two.Make("device.removed", {{"owner", "olivia"}}, {laptop()}));

    Builder removed = Olivia();
    removed.Next("device.added", add_phone, {laptop(), phone()});
    removed.Next("device.removed", {{"owner", "olivia"}, {"key_id", laptop().key().Id()}},
                 {phone()});
    Case("a statement signed by a removed device", removed,
         removed.Make("threshold.set", {{"threshold", 1}}, {laptop()}));
    Case("a removed device added again by itself", removed,
         removed.Make("device.added", {{"owner", "olivia"}, {"device", Device(laptop(), "")}},
                      {laptop()}));
  }

  void Owners() {
    Builder b = Olivia();
    const Json add_oscar = {{"owner", "oscar"}, {"device", Device(oscar(), "")}};
    Case("an owner.added without the new owner's device", b,
         b.Make("owner.added", add_oscar, {laptop()}));
    Case("an owner.added signed by the new owner alone", b,
         b.Make("owner.added", add_oscar, {oscar()}));
    Case("an owner.added of an owner the chain has", b,
         b.Make("owner.added", {{"owner", "olivia"}, {"device", Device(oscar(), "")}},
                {laptop(), oscar()}));
    Case("an owner.removed of the last owner", b,
         b.Make("owner.removed", {{"owner", "olivia"}}, {laptop()}));
    Builder two = TwoOwners();
    Case("an owner.added below the threshold", two,
         two.Make("owner.added", {{"owner", "otto"}, {"device", Device(tablet(), "")}},
                  {laptop(), phone(), tablet()}));
    Case("an owner.removed while the threshold needs that owner", two,
         two.Make("owner.removed", {{"owner", "oscar"}}, {laptop(), oscar()}));
    Case("an owner.removed of an owner the chain does not have", two,
         two.Make("owner.removed", {{"owner", "otto"}}, {laptop(), oscar()}));
    Case("a threshold.set of 0", two,
         two.Make("threshold.set", {{"threshold", 0}}, {laptop(), oscar()}));
    Case("a threshold.set above the number of owners", two,
         two.Make("threshold.set", {{"threshold", 3}}, {laptop(), oscar()}));
    Case("a threshold.set that is text", two,
         two.Make("threshold.set", {{"threshold", "1"}}, {laptop(), oscar()}));
    Case("a threshold.set that is negative", two,
         two.Make("threshold.set", {{"threshold", -1}}, {laptop(), oscar()}));
    Case("a threshold.set by two devices of one owner when two owners must sign", two,
         two.Make("threshold.set", {{"threshold", 1}}, {laptop(), phone()}));
  }

  void Terms() {
    Builder two = TwoOwners();
    const Signers both = {laptop(), oscar()};
    const Json agent = {{"name", "acme-agent"},
                        {"witness_key", "acme-agent+1234abcd+AQID"},
                        {"ssh_ca_key", "ssh-ed25519 AAAA ca"}};
    Case("an agent.confirmed below the threshold", two,
         two.Make("agent.confirmed", agent, {laptop()}));
    Json copy = agent;
    copy["name"] = "acme agent";
    Case("an agent named with a space", two, two.Make("agent.confirmed", copy, both));
    copy = agent;
    copy.erase("witness_key");
    Case("an agent without a witness key", two, two.Make("agent.confirmed", copy, both));
    copy = agent;
    copy["sealing_key"] = 7;
    Case("an agent whose sealing key is not text", two, two.Make("agent.confirmed", copy, both));

    const Json policy = {{"policy", Policy()}};
    Case("a policy.signed below the threshold", two, two.Make("policy.signed", policy, {oscar()}));
    auto policy_case = [&](const std::string& name, const std::string& text) {
      Case(name, two, two.Make("policy.signed", {{"policy", text}}, both));
    };
    policy_case("a policy that is not JSON", "{");
    policy_case("a policy that is not an object", "[]");
    policy_case("a policy with an unknown field", R"({"colour":"red","time_zone":"UTC"})");
    policy_case("a policy without a time zone", R"({"rules":[]})");
    policy_case("a policy with two rules of one name",
                R"({"rules":[{"name":"a"},{"name":"a"}],"time_zone":"UTC"})");
    policy_case(
        "a policy rule asking 17 approvals",
        R"({"rules":[{"name":"a","effect":"ask-owners","approvals":17}],"time_zone":"UTC"})");
    policy_case("a policy rule for a client role",
                R"({"rules":[{"name":"a","roles":["owner"]}],"time_zone":"UTC"})");
    policy_case("a policy rule with an unknown label",
                R"({"rules":[{"name":"a","labels_any":["secret"]}],"time_zone":"UTC"})");
    policy_case("a policy rule without a name",
                R"({"rules":[{"effect":"deny"}],"time_zone":"UTC"})");
    policy_case("a policy whose longest grant is a fraction",
                R"({"max_duration_seconds":3600.5,"time_zone":"UTC"})");
    policy_case("a policy whose longest grant is 8 days",
                R"({"max_duration_seconds":691200,"time_zone":"UTC"})");
    policy_case("a policy whose business hours end before they start",
                R"({"business_hours":{"start_minute":600,"end_minute":540},"time_zone":"UTC"})");
    policy_case("a policy with an unknown day",
                R"({"business_hours":{"days":["Funday"]},"time_zone":"UTC"})");
    policy_case("a policy with a lone surrogate", R"({"time_zone":"\ud800"})");
    policy_case("a policy whose break-glass is for a client role",
                R"({"breakglass":{"roles":["owner"]},"time_zone":"UTC"})");
    policy_case("a policy whose break-glass has an unknown field",
                R"({"breakglass":{"allowed":true,"when":"always"},"time_zone":"UTC"})");
    policy_case("a policy whose break-glass is allowed as text",
                R"({"breakglass":{"allowed":"yes"},"time_zone":"UTC"})");
    policy_case("a policy whose break-glass lasts 8 days",
                R"({"breakglass":{"max_duration_seconds":691200},"time_zone":"UTC"})");
    policy_case("a policy whose break-glass names an unknown kind",
                R"({"breakglass":{"kinds":["spaceship"]},"time_zone":"UTC"})");
    policy_case("a policy whose break-glass is not an object",
                R"({"breakglass":true,"time_zone":"UTC"})");
    Case("a policy that is an object, not text", two,
         two.Make("policy.signed", {{"policy", Parsed(Policy())}}, both));
    // Policies that are accepted, written loosely: the policy is JSON text, not canonical.
    Builder loose = TwoOwners();
    loose.Next(
        "policy.signed",
        {{"policy",
          " {\"time_zone\" : \"Europe/Dublin\", \"time_zone\": \"UTC\", \"rules\": [{\"name\":"
          "\"routine\",\"kinds\":[\"ssh-host\"],\"roles\":[\"technician\"],\"ticket\":"
          "\"present\",\"hours\":\"inside-business-hours\",\"max_duration_seconds\":7200,"
          "\"effect\":\"approve\"},{\"name\":\"mail\",\"labels_any\":[\"email\"],\"effect\":"
          "\"ask-owners\",\"approvals\":2}], \"fallback\": \"deny\", \"max_duration_seconds\""
          ": 86400, \"business_hours\": {\"days\": [\"Monday\", \"Friday\"], \"start_minute\""
          ": 480, \"end_minute\": 1080}} \n"}},
        both);
    loose.Next("policy.signed",
               {{"policy", "{\"time_zone\":\"\\u0055TC\",\"fallback_approvals\":16}"}}, both);
    loose.Next("policy.signed",
               {{"policy", R"({"breakglass":{"allowed":false},"time_zone":"UTC"})"}}, both);
    loose.Next(
        "policy.signed",
        {{"policy",
          R"({"breakglass":{"allowed":true,"roles":["senior-technician"],"kinds":["ssh-host"],)"
          R"("labels_never":["health"],"max_duration_seconds":3600},"time_zone":"UTC"})"}},
        both);
    Case("policies written loosely", "acme", loose.statements());

    const Json resource = {
        {"resource", "fileserver"}, {"resource_kind", "ssh-host"}, {"labels", Json::array()}};
    Case("a resource.signed below the threshold", two,
         two.Make("resource.signed", resource, {laptop(), phone()}));
    copy = resource;
    copy["resource"] = "";
    Case("a resource without a name", two, two.Make("resource.signed", copy, both));
    copy["resource"] = std::string(129, 'r');
    Case("a resource name of 129 characters", two, two.Make("resource.signed", copy, both));
    copy = resource;
    copy.erase("resource_kind");
    Case("a resource without a kind", two, two.Make("resource.signed", copy, both));
    copy = resource;
    copy.erase("labels");
    Case("a resource without labels", two, two.Make("resource.signed", copy, both));
    copy = resource;
    copy["labels"] = Json::array({"email", 3});
    Case("a resource whose labels are not all text", two, two.Make("resource.signed", copy, both));
    copy["labels"] = "email";
    Case("a resource whose labels are not a list", two, two.Make("resource.signed", copy, both));
    copy = resource;
    copy["resource_kind"] = "spaceship";
    Case("a resource of an unknown kind", two, two.Make("resource.signed", copy, both));
    copy = resource;
    copy["labels"] = Json::array({"email", "secret"});
    Case("a resource with an unknown label", two, two.Make("resource.signed", copy, both));
    Builder unlabelled = TwoOwners();
    unlabelled.Next(
        "resource.signed",
        {{"resource", "printer"}, {"resource_kind", "network-device"}, {"labels", Json::array()}},
        both);
    unlabelled.Next("resource.signed",
                    {{"resource", "printer"},
                     {"resource_kind", "file-share"},
                     {"labels", Json::array({"backups", "backups"})}},
                    both);
    Case("a resource holding nothing, then signed again", "acme", unlabelled.statements());
  }

  void Recovery() {
    Builder b = Olivia();
    b.Next("device.added", {{"owner", "olivia"}, {"device", Device(phone(), "phone")}},
           {laptop(), phone()});
    const Json recover = {{"owner", "olivia"},
                          {"device", Device(fresh(), "new laptop")},
                          {"recovery_key", Key(recovery2())}};
    Case("a recovered without the recovery key", b,
         b.Make("recovered", recover, {laptop(), phone(), fresh()}));
    Case("a recovered without the new device", b, b.Make("recovered", recover, {recovery()}));
    Json copy = recover;
    copy["recovery_key"] = Key(recovery());
    Case("a recovered that keeps the recovery key", b,
         b.Make("recovered", copy, {recovery(), fresh()}));
    copy = recover;
    copy["device"] = Device(phone(), "phone");
    Case("a recovered naming a device in the chain", b, b.Make("recovered", copy, {recovery()}));
    copy = recover;
    copy["owner"] = "new owner";
    Case("a recovered naming an owner with a space", b,
         b.Make("recovered", copy, {recovery(), fresh()}));
    Case("a device.added by the recovery key without the new device", b,
         b.Make("device.added", {{"owner", "olivia"}, {"device", Device(tablet(), "")}},
                {recovery()}));

    Builder after = b;
    after.Next("recovered", recover, {recovery(), fresh()});
    Case("after a recovery, a lost device signs nothing", after,
         after.Make("threshold.set", {{"threshold", 1}}, {phone()}));
    Case("after a recovery, the old recovery key signs nothing", after,
         after.Make("device.added", {{"owner", "olivia"}, {"device", Device(tablet(), "")}},
                    {recovery(), tablet()}));
    // A recovery by a new owner name: every other owner leaves with their devices.
    Builder takeover = TwoOwners();
    takeover.Next(
        "recovered",
        {{"owner", "otto"}, {"device", Device(fresh(), "")}, {"recovery_key", Key(recovery2())}},
        {recovery(), fresh()});
    takeover.Next(
        "recovered",
        {{"owner", "olivia"}, {"device", Device(tablet(), "")}, {"recovery_key", Key(recovery())}},
        {recovery2(), tablet()});
    Case("recoveries replace every owner and device", "acme", takeover.statements());
  }

  // A replayer that kept the size and head it checked.
  void Pinned() {
    Builder b = Olivia();
    b.Next("device.added", {{"owner", "olivia"}, {"device", Device(phone(), "phone")}},
           {laptop(), phone()});
    const Chain::Verified pinned{b.chain().state().size, b.chain().state().head};
    b.Next("threshold.set", {{"threshold", 1}}, {phone()});
    Case("a chain that grew since the head kept", "acme", b.statements(), pinned);
    // The statements up to the kept head are not checked again: their bodies are the ones
    // checked, whatever signatures they carry now.
    std::vector<std::string> resigned = b.statements();
    Json outer = Parsed(resigned[1]);
    for (Json& signature : outer["signatures"]) signature["signature"] = Base64Encode(Bytes(64, 5));
    resigned[1] = outer.dump();
    Case("signatures before the kept head are not checked again", "acme", resigned, pinned);
    Case("the same, replayed without the kept head", "acme", resigned);
    // A new statement after the kept head is checked.
    std::vector<std::string> bad_tail = b.statements();
    outer = Parsed(bad_tail[2]);
    outer["signatures"][0]["signature"] = Base64Encode(Bytes(64, 5));
    bad_tail[2] = outer.dump();
    Case("a statement after the kept head is checked", "acme", bad_tail, pinned);
    // A history the replayer never checked is checked in full: a removed device cannot write one.
    Builder forked = Olivia();
    forked.Next("device.added", {{"owner", "olivia"}, {"device", Device(tablet(), "")}},
                {laptop(), tablet()});
    forked.Next("threshold.set", {{"threshold", 1}}, {tablet()});
    Case("another history than the kept head's, itself well signed", "acme", forked.statements(),
         pinned);
    std::vector<std::string> forged = forked.statements();
    outer = Parsed(forged[1]);
    outer["signatures"][0]["signature"] = Base64Encode(Bytes(64, 5));
    forged[1] = outer.dump();
    Case("another history than the kept head's, badly signed", "acme", forged, pinned);
    Case("fewer statements than the kept head", "acme", {b.statements()[0]}, pinned);
  }

  void Link(const std::string& name, const Builder& base, const std::string& statement) {
    Json item = {{"name", name},
                 {"client", base.client()},
                 {"statements", base.statements()},
                 {"link", statement}};
    auto link = base.chain().CheckLink(statement);
    if (link.ok()) {
      item["expect"] = {{"ok", true},
                        {"owner", link->owner},
                        {"key_id", link->device.key_id},
                        {"name", link->device.name}};
    } else {
      item["expect"] = {{"ok", false},
                        {"code", std::string(StatusCodeName(link.status().code()))},
                        {"message", link.status().message()}};
    }
    links_.push_back(std::move(item));
  }

  void Links() {
    Builder b = TwoOwners();
    const Json add_tablet = {{"owner", "olivia"}, {"device", Device(tablet(), "tablet")}};
    Link("a new device's half of a device.added", b,
         b.Make("device.added", add_tablet, {tablet()}));
    Link(
        "for another owner", b,
        b.Make("device.added", {{"owner", "oscar"}, {"device", Device(tablet(), "")}}, {tablet()}));
    Link("signed by an owner's device too", b,
         b.Make("device.added", add_tablet, {tablet(), laptop()}));
    Link("signed by another key", b, b.Make("device.added", add_tablet, {outsider()}));
    std::string bad = b.Make("device.added", add_tablet, {tablet()});
    Json outer = Parsed(bad);
    outer["signatures"][0]["signature"] = Base64Encode(Bytes(64, 2));
    Link("whose signature does not verify", b, outer.dump());
    Link("of another kind", b, b.Make("threshold.set", {{"threshold", 1}}, {tablet()}));
    Link("for an owner the chain does not have", b,
         b.Make("device.added", {{"owner", "otto"}, {"device", Device(tablet(), "")}}, {tablet()}));
    Link("of a device in the chain", b,
         b.Make("device.added", {{"owner", "olivia"}, {"device", Device(oscar(), "")}}, {oscar()}));
    Builder stale = b;
    const std::string early = stale.Make("device.added", add_tablet, {tablet()});
    stale.Next("threshold.set", {{"threshold", 2}}, {laptop(), oscar()});
    Link("made for an earlier head", stale, early);
    Link("that is not JSON", b, "{");
  }

  FakeRandom random_{2026};
  std::optional<OwnerSigner> laptop_, phone_, tablet_, oscar_, oscar_phone_, recovery_, recovery2_,
      fresh_, outsider_;
  Json chains_ = Json::array();
  Json links_ = Json::array();
};

}  // namespace

Json ChainVectors() { return Vectors().Make(); }

}  // namespace quartet::trust
