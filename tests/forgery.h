// The provider's side as an attacker with the server's data folder: it writes an owner's approval
// of a grant into the client's log, signed by a key of its own under the owner's key ID, and marks
// the grant approved in its own tables. The client's agent must see through it.
#pragma once

#include <string>

namespace quartet::testing {

// Forges `owner`'s approval of `grant` of `client` in the data folder `data` (live from now for
// 30 minutes); `scratch` is a file it may write. Fails the calling test on error.
void ForgeApproval(const std::string& data, const std::string& client, const std::string& grant,
                   const std::string& owner, const std::string& scratch);

}  // namespace quartet::testing
