// The agent's sealing key: the X25519 key pair (HPKE, vault/hpke.h) to which credentials are sealed.
// Its public half is part of the agent's identity in the client's trust chain (the
// `sealing_key` of `agent.confirmed`), written as the standard base64 of its 32 bytes; its private
// half never leaves the agent's machine.
#pragma once

#include <string>
#include <string_view>

#include "base/random.h"
#include "base/status.h"
#include "vault/hpke.h"

namespace quartet::vault {

std::string SealingKeyString(const HpkeKey& public_key);
// InvalidArgument for anything but base64 of 32 bytes that X25519 can use.
StatusOr<HpkeKey> ParseSealingKey(std::string_view text);

// The private key file (keys/sealing.key): "quartet-sealing-key/v1 <base64 private key>\n".
std::string SealingKeyFile(const HpkeKeyPair& pair);
StatusOr<HpkeKeyPair> ParseSealingKeyFile(std::string_view text);

}  // namespace quartet::vault
