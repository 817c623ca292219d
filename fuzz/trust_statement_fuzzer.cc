// libFuzzer harness for trust statements (trust/chain.h): the agent, the owner's CLI and the server
// take them from whoever relays them. Applied to a chain of a genesis and an owner's second device,
// an input must never crash; one the chain refuses changes nothing; one it takes replays to the
// same state from the statements alone. An input "K<kind>\n<fields JSON>" is made into the chain's
// next statement of that kind and signed by the owner's laptop, so that every kind's checks of its
// fields are reached with valid signatures. Collecting signatures (Chain::CheckCollecting) must say
// "complete" of exactly what Apply takes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/random.h"
#include "trust/chain.h"

namespace {

namespace access = quartet::access;
namespace trust = quartet::trust;

void Check(bool condition) {
  if (!condition) std::abort();
}

// The chain every input is applied to, and its statements.
struct Fixture {
  std::vector<std::string> statements;
  trust::Chain chain{"acme"};
  std::vector<access::OwnerSigner> laptop;
};

const Fixture& Base() {
  static const Fixture* fixture = [] {
    auto* out = new Fixture;
    quartet::FakeRandom random(5);
    const access::OwnerSigner laptop = access::OwnerSigner::Generate(random);
    const access::OwnerSigner phone = access::OwnerSigner::Generate(random);
    const access::OwnerSigner recovery = access::OwnerSigner::Generate(random);
    auto add = [&](std::string_view kind, quartet::Json fields,
                   std::vector<access::OwnerSigner> signers) {
      const std::string statement = trust::SignStatement(
          out->chain.NextBody(kind, std::move(fields), 1'700'000'000), signers);
      Check(out->chain.Apply(statement).ok());
      out->statements.push_back(statement);
    };
    add("genesis",
        {{"owner", "olivia"},
         {"device", trust::DeviceJson(laptop.key(), "laptop")},
         {"recovery_key", quartet::Base64Encode(recovery.key().public_key)}},
        {laptop});
    add("device.added", {{"owner", "olivia"}, {"device", trust::DeviceJson(phone.key(), "phone")}},
        {laptop, phone});
    out->laptop = {laptop};
    return out;
  }();
  return *fixture;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const Fixture& base = Base();
  trust::Chain chain = base.chain;
  std::string made;
  if (input.starts_with('K')) {
    const size_t newline = input.find('\n');
    if (newline == std::string_view::npos) return 0;
    auto fields = quartet::ParseJson(input.substr(newline + 1), "the fields");
    if (!fields.ok() || !fields->is_object()) return 0;
    made = trust::SignStatement(
        chain.NextBody(input.substr(1, newline - 1), *fields, 1'700'000'100), base.laptop);
    input = made;
  }
  const std::string before = quartet::CanonicalJsonOf(trust::SummaryJson(chain.state()));
  // Collecting signatures agrees with Apply, and changes nothing; merging a statement with itself
  // gives it back.
  const auto collecting = chain.CheckCollecting(input);
  Check(quartet::CanonicalJsonOf(trust::SummaryJson(chain.state())) == before);
  if (const auto merged = trust::MergeSignatures(input, input); merged.ok()) {
    Check(trust::Statement::Parse(*merged).ok());
  }
  const quartet::Status applied = chain.Apply(input);
  Check(!applied.ok() || (collecting.ok() && collecting->complete));
  Check(applied.ok() || !collecting.ok() || !collecting->complete);
  const std::string after = quartet::CanonicalJsonOf(trust::SummaryJson(chain.state()));
  if (!applied.ok()) {
    Check(after == before);
    return 0;
  }
  std::vector<std::string> statements = base.statements;
  statements.emplace_back(input);
  auto replayed = trust::Chain::Replay("acme", statements);
  Check(replayed.ok());
  Check(quartet::CanonicalJsonOf(trust::SummaryJson(replayed->state())) == after);
  (void)trust::Statement::Parse(input);
  return 0;
}
