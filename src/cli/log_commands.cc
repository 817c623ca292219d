#include <iostream>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/random.h"
#include "cli/commands.h"
#include "ledger/entry.h"
#include "ledger/integrator.h"
#include "ledger/receipt.h"
#include "store/data_folder.h"
#include "store/sqlite.h"

namespace quartet::cli {
namespace {

// Publishes new entries at once unless another process (a running server) publishes this folder;
// then that process does it within its publishing interval.
Status PublishIfIdle(store::DataFolder& folder, const std::string& tenant) {
  auto lock = folder.LockIntegration(store::FileLock::Wait::kNo);
  if (!lock.ok()) return Status::Ok();
  ASSIGN_OR_RETURN(auto signer, folder.LogSigner(tenant));
  ledger::Integrator integrator(folder.logs(), folder.fs(), tenant, folder.LogDirectory(tenant),
                                std::move(signer));
  RETURN_IF_ERROR(integrator.Open());
  return integrator.IntegrateOnce(UINT64_MAX).status();
}

}  // namespace

int Fail(const std::string& message) {
  std::cerr << "quartet: " << message << "\n";
  return 1;
}

int LogInit(const std::string& data, const std::string& tenant,
            const std::optional<std::string>& origin, bool open) {
  auto folder = store::DataFolder::Open(data);
  if (!folder.ok()) return Fail(folder.status().message());
  auto key =
      (*folder)->InitLog(tenant, origin.value_or(store::DefaultOrigin(tenant)), Random::System());
  if (!key.ok()) return Fail(key.status().message());
  if (open) {
    // A log of no client has no owners to choose: whoever makes it says that anyone may read it.
    auto db = store::Database::Open((*folder)->path() + "/quartet.db");
    if (!db.ok()) return Fail(db.status().message());
    auto insert = (*db)->Prepare(
        "INSERT INTO public_logs (client, published_by, published_at) VALUES (?, 'operator', ?)");
    if (!insert.ok()) return Fail(insert.status().message());
    (*insert)->Bind(1, tenant).Bind(2, Clock::System().NowUnixSeconds());
    if (Status inserted = (*insert)->Run(); !inserted.ok()) return Fail(inserted.message());
  }
  if (Status published = PublishIfIdle(**folder, tenant); !published.ok()) {
    return Fail(published.message());
  }
  std::cout << *key << "\n";
  return 0;
}

int LogAppend(const std::string& data, const std::string& tenant, std::istream& in) {
  // Everything is checked before anything is written: all lines go in, or none.
  std::vector<std::string> entries;
  std::string line;
  for (uint64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (line.size() > ledger::kMaxEntrySize + 1) {
      return Fail("line " + std::to_string(number) + ": over 64 KiB; nothing was appended");
    }
    auto entry = ledger::CanonicalEntry(line);
    if (!entry.ok()) {
      return Fail("line " + std::to_string(number) + ": " + entry.status().message() +
                  "; nothing was appended");
    }
    entries.push_back(std::move(*entry));
  }
  if (entries.empty()) return Fail("no events on standard input");
  auto folder = store::DataFolder::Open(data);
  if (!folder.ok()) return Fail(folder.status().message());
  auto first = (*folder)->logs().Append(tenant, entries);
  if (!first.ok()) return Fail(first.status().message());
  // Durable now: say so before publishing.
  std::string out;
  for (uint64_t i = 0; i < entries.size(); ++i) {
    out += std::to_string(*first + i);
    out += '\n';
  }
  std::cout << out << std::flush;
  if (Status published = PublishIfIdle(**folder, tenant); !published.ok()) {
    return Fail("appended, but publishing failed: " + published.message());
  }
  return 0;
}

int LogKey(const std::string& data, const std::string& tenant) {
  auto folder = store::DataFolder::Open(data);
  if (!folder.ok()) return Fail(folder.status().message());
  auto config = (*folder)->logs().GetLog(tenant);
  if (!config.ok()) return Fail(config.status().message());
  std::cout << config->verifier_key << "\n";
  return 0;
}

int LogProof(const std::string& data, const std::string& tenant, uint64_t index) {
  auto folder = store::DataFolder::Open(data);
  if (!folder.ok()) return Fail(folder.status().message());
  auto latest = (*folder)->logs().LatestCheckpoint(tenant);
  if (!latest.ok()) return Fail(latest.status().message());
  if (!latest->has_value() || (*latest)->size <= index) {
    return Fail("entry " + std::to_string(index) + " is not in a published checkpoint yet");
  }
  const std::string directory = (*folder)->LogDirectory(tenant);
  ledger::TileNodeReader reader((*latest)->size, [&](const ledger::TileId& id) {
    return (*folder)->fs().ReadFile(directory + "/" + id.Path());
  });
  auto proof = ledger::InclusionProof(reader, index, (*latest)->size);
  if (!proof.ok()) return Fail(proof.status().message());
  // Check the proof before handing it out: the tiles on disk could be damaged.
  std::vector<std::string> entry;
  if (Status read = (*folder)->logs().ReadEntries(tenant, index, index + 1, entry); !read.ok()) {
    return Fail(read.message());
  }
  if (Status valid = ledger::VerifyInclusion(ledger::HashLeaf(AsBytes(entry[0])), index,
                                             (*latest)->size, *proof, (*latest)->root);
      !valid.ok()) {
    return Fail("the stored tiles give a wrong proof: " + valid.message());
  }
  ledger::Receipt receipt;
  receipt.index = index;
  receipt.proof = std::move(*proof);
  receipt.checkpoint_note = (*latest)->note;
  std::cout << receipt.Format();
  return 0;
}

}  // namespace quartet::cli
