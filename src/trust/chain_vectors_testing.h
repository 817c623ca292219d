// Vectors of trust chains for replayers written elsewhere (web/js/trust.js): valid chains of every
// kind of statement, and chains refused at each rule, each with what Chain::Replay says of it; and
// links (Chain::CheckLink) with what they would add. Deterministic: the same program makes the same
// bytes. testdata/trust/chains.json is its output, checked by chain_vectors_test.cc and written
// anew by `trust_vectors FILE` when the rules change.
#pragma once

#include "base/json.h"

namespace quartet::trust {

Json ChainVectors();

}  // namespace quartet::trust
