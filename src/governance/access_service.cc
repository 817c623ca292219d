#include "governance/access_service.h"

namespace quartet::governance {

StatusOr<std::unique_ptr<AccessService>> AccessService::Open(store::DataFolder& folder,
                                                             Clock& clock, Random& random) {
  ASSIGN_OR_RETURN(auto committer, Committer::Open(folder, clock, random));
  return std::unique_ptr<AccessService>(new AccessService(std::move(committer)));
}

}  // namespace quartet::governance
