// Turns a log's durable entries into published C2SP tiles and a signed checkpoint, in batches.
//
// Publication order, which is what makes it crash-safe:
//   1. every new tile and entry bundle is written to a temporary file;
//   2. one syncfs makes them durable; they are renamed into place; a second syncfs makes the names
//      durable (tiles are immutable, so a rename never replaces different contents);
//   3. the checkpoint is signed over entries that the store already holds durably, and recorded in
//      the store, which refuses any checkpoint that does not extend the latest;
//   4. the checkpoint file is replaced atomically.
// A crash at any point leaves the latest recorded checkpoint backed by durable tiles. On Open, the
// integrator checks the tiles on disk against the latest checkpoint and rebuilds them from the
// entries if they do not match, and rewrites the checkpoint file from the store.
//
// Thread safety: not thread-safe; one integrator per log, and one process at a time (the caller
// holds the data folder's integration lock).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/file_system.h"
#include "ledger/checkpoint.h"
#include "ledger/log_store.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/tiles.h"

namespace quartet::ledger {

class Integrator {
 public:
  // `directory` is where the log is published: <directory>/checkpoint and <directory>/tile/...
  // All references must outlive the integrator.
  Integrator(LogStore& store, FileSystem& fs, std::string tenant, std::string directory,
             NoteSigner signer);
  Integrator(const Integrator&) = delete;
  Integrator& operator=(const Integrator&) = delete;

  // Loads the published state, repairing tiles and the checkpoint file as described above.
  Status Open();

  // Integrates up to `max_entries` durable entries beyond the published size and publishes a new
  // checkpoint. Returns the published size (unchanged if there was nothing new). After an error the
  // integrator must be opened again.
  StatusOr<uint64_t> IntegrateOnce(uint64_t max_entries = 1 << 20);

  uint64_t published_size() const { return range_.size(); }
  const std::string& tenant() const { return tenant_; }
  const std::string& directory() const { return directory_; }

 private:
  struct PendingFile {
    std::string path;
    std::string contents;
  };

  Status LoadFromTiles(const StoredCheckpoint& checkpoint);
  Status RebuildFromEntries(uint64_t size);
  // Extends the tree with the entries up to `end` and writes every tile and bundle that changed.
  Status WriteTilesUpTo(uint64_t end);
  void AddEntry(const std::string& entry, std::vector<PendingFile>& pending);
  void AddPartialTiles(std::vector<PendingFile>& pending) const;
  Status WriteFiles(const std::vector<PendingFile>& pending);
  Status Publish(const StoredCheckpoint& checkpoint);
  std::string TilePath(const TileId& id) const { return directory_ + "/" + id.Path(); }

  // Set at construction.
  LogStore& store_;
  FileSystem& fs_;
  const std::string tenant_;
  const std::string directory_;
  const NoteSigner signer_;
  std::string origin_;

  // The published tree: its right edge, the hashes of the partial tile of each level, and the
  // entries of the partial entry bundle.
  MerkleHasher hasher_;
  CompactRange range_;
  std::vector<std::vector<Hash>> partial_tiles_;
  std::string partial_bundle_;
  uint32_t partial_bundle_count_ = 0;
};

// The checkpoint text for a tree, as the integrator signs it.
Checkpoint MakeCheckpoint(const std::string& origin, uint64_t size, const Hash& root);

}  // namespace quartet::ledger
