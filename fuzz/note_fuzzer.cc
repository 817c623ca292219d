// libFuzzer harness for the signed-note parser (ParseNote, OpenNote) and the key string parsers.
// Besides not crashing, everything that parses must format back to the same bytes: each accepted
// input has exactly one encoding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "ledger/note.h"

namespace {

namespace ledger = quartet::ledger;

// Keys whose signatures appear in the seed inputs worth trying: the c2sp.org/signed-note example,
// golang.org/x/mod's PeterNeumann and a cosignature/v1 witness.
const std::vector<ledger::NoteVerifier>& KnownKeys() {
  static const auto* keys = [] {
    auto* out = new std::vector<ledger::NoteVerifier>;
    for (std::string_view vkey :
         {"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
          "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
          "witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"}) {
      auto verifier = ledger::NoteVerifier::Parse(vkey);
      if (!verifier.ok()) std::abort();
      out->push_back(*verifier);
    }
    return out;
  }();
  return *keys;
}

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const auto note = ledger::ParseNote(input);
  if (note.ok()) Check(note->Format() == input);

  std::vector<ledger::VerifiedSignature> verified;
  const auto opened = ledger::OpenNote(input, KnownKeys(), &verified);
  if (opened.ok()) Check(note.ok() && !verified.empty() && opened->text == note->text);

  const auto verifier = ledger::NoteVerifier::Parse(input);
  if (verifier.ok()) Check(verifier->VerifierKeyString() == input);

  const auto signer = ledger::NoteSigner::Parse(input);
  if (signer.ok()) Check(signer->SignerKeyString() == input);
  return 0;
}
