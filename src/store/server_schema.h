// The schema of a data folder's quartet.db, every table of every part that keeps its state there
// (the logs, governance, the agents' server side), in one place. docs/database.md describes each.
#pragma once

#include "store/schema.h"

namespace quartet::store {

const Schema& ServerSchema();

}  // namespace quartet::store
