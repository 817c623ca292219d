#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "base/file_system.h"
#include "cli/commands.h"
#include "client/http_client.h"
#include "client/tile_prefetcher.h"
#include "ledger/log_verifier.h"

namespace quartet::cli {

int Verify(const std::string& url, const std::string& key,
           const std::vector<std::string>& witnesses, const std::optional<std::string>& state,
           const std::string& token) {
  auto parsed_key = ledger::NoteVerifier::Parse(key);
  if (!parsed_key.ok()) return Fail("bad --key: " + parsed_key.status().message());
  auto parsed_url = client::Url::Parse(url);
  if (!parsed_url.ok()) return Fail(parsed_url.status().message());

  ledger::VerifyLogOptions options{*parsed_key, {}, std::nullopt, nullptr};
  for (const std::string& witness : witnesses) {
    auto parsed = ledger::NoteVerifier::Parse(witness);
    if (!parsed.ok() || parsed->type() != ledger::SignatureType::kCosignatureV1) {
      return Fail("bad --witness: a tlog-cosignature/v1 verifier key is expected");
    }
    options.witnesses.push_back(*parsed);
  }
  FileSystem& fs = FileSystem::Posix();
  if (state.has_value() && fs.FileExists(*state)) {
    auto previous = fs.ReadFile(*state);
    if (!previous.ok()) return Fail(previous.status().message());
    options.previous_note = std::move(*previous);
  }
  if (::isatty(STDERR_FILENO)) {
    options.progress = [](uint64_t done, uint64_t total) {
      std::fprintf(stderr, "\rverified %llu of %llu entries", static_cast<unsigned long long>(done),
                   static_cast<unsigned long long>(total));
      if (done == total) std::fputc('\n', stderr);
    };
  }

  // The checkpoint comes first; once its size is known, tiles are fetched ahead of the hashing.
  client::HttpClient http(*parsed_url);
  std::unique_ptr<client::TilePrefetcher> prefetcher;
  auto verified = ledger::VerifyLog(
      [&]() -> StatusOr<std::string> {
        ASSIGN_OR_RETURN(std::string note,
                         client::FetchBody(http, parsed_url->path + "/checkpoint", token));
        // Unverified here; VerifyLog checks it before using any tile.
        const size_t first = note.find('\n');
        const size_t second = note.find('\n', first + 1);
        auto size =
            first == std::string::npos || second == std::string::npos
                ? StatusOr<uint64_t>(InvalidArgumentError("bad checkpoint"))
                : ParseDecimal(std::string_view(note).substr(first + 1, second - first - 1));
        if (size.ok())
          prefetcher = std::make_unique<client::TilePrefetcher>(*parsed_url, *size, token);
        return note;
      },
      [&](const ledger::TileId& id) -> StatusOr<std::string> {
        if (prefetcher != nullptr) return prefetcher->Fetch(id);
        return client::FetchBody(http, parsed_url->path + "/" + id.Path(), token);
      },
      options);
  if (!verified.ok()) return Fail("verification failed: " + verified.status().message());
  if (state.has_value()) {
    if (Status saved = WriteFileAtomically(fs, *state, verified->note); !saved.ok()) {
      return Fail("verified, but could not save the state: " + saved.message());
    }
  }
  std::cout << "ok: " << verified->checkpoint.origin << " has " << verified->checkpoint.size
            << " entries, all verified" << (witnesses.empty() ? "" : ", cosigned by its witness")
            << "\n";
  return 0;
}

}  // namespace quartet::cli
