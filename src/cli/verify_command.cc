#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "base/file_system.h"
#include "cli/commands.h"
#include "client/http_client.h"
#include "ledger/log_verifier.h"

namespace quartet::cli {
namespace {

StatusOr<std::string> FetchBody(client::HttpClient& http, const std::string& target) {
  ASSIGN_OR_RETURN(client::HttpResult result, http.Get(target));
  if (result.status == 404) return NotFoundError("GET " + target + ": 404 not found");
  if (result.status != 200) {
    return UnavailableError("GET " + target + ": HTTP " + std::to_string(result.status));
  }
  return std::move(result.body);
}

}  // namespace

int Verify(const std::string& url, const std::string& key, const std::optional<std::string>& state) {
  auto parsed_key = ledger::NoteVerifier::Parse(key);
  if (!parsed_key.ok()) return Fail("bad --key: " + parsed_key.status().message());
  auto parsed_url = client::Url::Parse(url);
  if (!parsed_url.ok()) return Fail(parsed_url.status().message());

  ledger::VerifyLogOptions options{*parsed_key, std::nullopt, nullptr};
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

  client::HttpClient http(parsed_url->host, parsed_url->port);
  const std::string prefix = parsed_url->path;
  auto verified = ledger::VerifyLog(
      [&] { return FetchBody(http, prefix + "/checkpoint"); },
      [&](const ledger::TileId& id) { return FetchBody(http, prefix + "/" + id.Path()); }, options);
  if (!verified.ok()) return Fail("verification failed: " + verified.status().message());
  if (state.has_value()) {
    if (Status saved = WriteFileAtomically(fs, *state, verified->note); !saved.ok()) {
      return Fail("verified, but could not save the state: " + saved.message());
    }
  }
  std::cout << "ok: " << verified->checkpoint.origin << " has " << verified->checkpoint.size
            << " entries, all verified\n";
  return 0;
}

}  // namespace quartet::cli
