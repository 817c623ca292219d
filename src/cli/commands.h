// The `quartet` commands. Each returns the process exit status: 0 success, 1 failure (one clear
// reason on stderr), 2 bad usage. CLI11 parsing lives in main.cc alone.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access/approval.h"
#include "base/json.h"
#include "base/status.h"
#include "client/api_client.h"
#include "ssh/key.h"
#include "trust/chain.h"

namespace quartet::store {
class DataFolder;
}

namespace quartet::cli {

// Serves `folder` until SIGTERM or SIGINT; `on_ready` prints what the user needs once the address is
// known (the first line of output is always the address).
struct MailOptions;
struct TlsFiles;
// What one server lets its callers take: without `requests`, access requests and proposals are
// not rate-limited (benchmarks of the server's own throughput only); connection caps of 0 take the
// server's defaults (server/http_server.h).
struct ServerLimits {
  bool requests = true;
  size_t connections = 0;
  size_t connections_per_address = 0;
};
int Serve(store::DataFolder& folder, const std::string& listen, const MailOptions& mail,
          const TlsFiles& tls, const std::function<void(const std::string& base_url)>& on_ready,
          const ServerLimits& limits = {});

int LogInit(const std::string& data, const std::string& tenant,
            const std::optional<std::string>& origin, bool open);
int LogAppend(const std::string& data, const std::string& tenant, std::istream& in);
int LogKey(const std::string& data, const std::string& tenant);
int LogProof(const std::string& data, const std::string& tenant, uint64_t index);
struct MailOptions {
  std::string smtp;  // HOST:PORT of the relay; empty: e-mails wait in the outbox
  std::string from = "quartet@localhost";
};
// The server's certificate chain and key (PEM files): HTTPS. Both empty: plain HTTP.
struct TlsFiles {
  std::string certificate;
  std::string key;
};
int Server(const std::string& data, const std::string& listen, const MailOptions& mail,
           const TlsFiles& tls, const ServerLimits& limits);
int Demo(const std::string& data, const std::string& listen);
// `token`: a read token (or the reader's own), sent as a bearer token; empty for an open log.
int Verify(const std::string& url, const std::string& key,
           const std::vector<std::string>& witnesses, const std::optional<std::string>& state,
           const std::string& token);

// Local administration on a data folder (`quartet admin`).
int AdminAddUser(const std::string& data, const std::string& user, const std::string& role,
                 const std::string& client);
int AdminAddClient(const std::string& data, const std::string& tenant, const std::string& name,
                   const std::string& time_zone);
int AdminAddResource(const std::string& data, const std::string& client, const std::string& name,
                     const std::string& kind, const std::vector<std::string>& labels);
int AdminRelate(const std::string& data, const std::string& client, const std::string& technician);
int AdminOffboard(const std::string& data, const std::string& user);
int AdminAddTeam(const std::string& data, const std::string& team);
int AdminAddTeamMember(const std::string& data, const std::string& team,
                       const std::string& technician);
int AdminRelateTeam(const std::string& data, const std::string& client, const std::string& team);
int AdminCreateToken(const std::string& data, const std::string& user, int days);
// Reads one line from `in`: the new password.
int AdminSetPassword(const std::string& data, const std::string& user, std::istream& in);
// Prints the otpauth:// URI of a fresh TOTP secret.
int AdminEnrolTotp(const std::string& data, const std::string& user);
int AdminSetEmail(const std::string& data, const std::string& user, const std::string& email);
// Prints the webhook's HMAC secret.
int AdminSetWebhook(const std::string& data, const std::string& client, const std::string& url);

// Talking to a server (`--server` / QUARTET_SERVER, `--token` / QUARTET_TOKEN).
struct ServerOptions {
  std::string server;
  std::string token;
  bool json = false;
};
struct AccessArguments {
  std::string client, resource, action = "login", login, duration, reason, ticket, ssh_key_file;
  bool breakglass = false;
};
int RequestAccess(const ServerOptions& options, const AccessArguments& args);
int ListGrants(const ServerOptions& options, const std::string& client, const std::string& state,
               int limit);
int DecideGrant(const ServerOptions& options, const std::string& client, const std::string& id,
                bool approve, const std::string& key_file, const std::string& comment);
int GrantAction(const ServerOptions& options, const std::string& client, const std::string& id,
                const std::string& verb, const std::string& reason);
int OwnerKeyCreate(const std::string& out);
// Signs in with a password (and TOTP code) read from `in`; prints a session token.
int Login(const ServerOptions& options, const std::string& user, std::istream& in);
// A person of a client accepts their invitation: the password they choose is read from `in`; the
// second factor they receive is printed, once.
int InvitationAccept(const ServerOptions& options, const std::string& code, std::istream& in);
int OwnerKeyRegister(const ServerOptions& options, const std::string& key_file);
// What the commands that talk to a server share (access_commands.cc): a client with the token,
// an owner's key file, and the client a command is about (given, or the signed-in person's own).
StatusOr<client::ApiClient> ConnectApi(const ServerOptions& options);
StatusOr<access::OwnerSigner> LoadOwnerKey(const std::string& path);
StatusOr<std::string> ResolveClient(client::ApiClient& api, const std::string& client);

// The client's trust chain (trust_commands.cc).
// Who reads a client's published log (log_access_commands.cc).
struct LogTokenArguments {
  std::string client, name, expires = "90d";
  std::string id;          // revoke
  std::string visibility;  // visibility: "open", "private", or empty to show it
};
int LogTokenCreate(const ServerOptions& options, const LogTokenArguments& args);
int LogTokenList(const ServerOptions& options, const std::string& client);
int LogTokenRevoke(const ServerOptions& options, const LogTokenArguments& args);
int LogVisibility(const ServerOptions& options, const LogTokenArguments& args);

struct TrustArguments {
  std::string client, key_file, recovery_out, owner, device_name = "cli";
  std::string code;               // approve-link: the code `link` printed
  std::string device;             // remove-device: the key ID
  std::string recovery_key_file;  // recover
  std::string id;                 // sign: the waiting statement's ID
  int threshold = 0;              // threshold
};
int TrustInit(const ServerOptions& options, const TrustArguments& args);
int TrustShow(const ServerOptions& options, const std::string& client);
// The new device's key offers itself for the chain: prints the code to approve it with.
int TrustLink(const ServerOptions& options, const TrustArguments& args);
// An existing device's key signs the device a code names into the chain, once it checks.
int TrustApproveLink(const ServerOptions& options, const TrustArguments& args);
int TrustDevices(const ServerOptions& options, const std::string& client);
int TrustRemoveDevice(const ServerOptions& options, const TrustArguments& args);
// The recovery key replaces every device by one; a new recovery key is written.
int TrustRecover(const ServerOptions& options, const TrustArguments& args);
// The statements waiting for owners' signatures, each checked here and said in plain words.
int TrustPending(const ServerOptions& options, const std::string& client);
// Adds this owner's signature to a statement waiting for it (by ID; or the only one waiting).
int TrustSign(const ServerOptions& options, const TrustArguments& args);
// How many owners must sign a change: a threshold.set, signed as the chain demands.
int TrustThreshold(const ServerOptions& options, const TrustArguments& args);
// The statements the server holds for `client`, replayed here with every signature checked;
// DataLoss if they do not check.
StatusOr<trust::Chain> FetchTrustChain(client::ApiClient& api, const std::string& client);
// The client's access policy (policy_commands.cc): shown as the trust chain signs it, and signed
// by an owner from a file of policy JSON or an open proposal.
struct PolicySignArguments {
  std::string client, key_file, file, proposal;
};
int PolicyShow(const ServerOptions& options, const std::string& client);
int PolicySign(const ServerOptions& options, const PolicySignArguments& args);
struct ResourceSignArguments {
  std::string client, key_file, resource, kind;
  std::vector<std::string> labels;  // label names; "none" for none
};
int ResourceSign(const ServerOptions& options, const ResourceSignArguments& args);

// What a command about the client's trust chain starts from (trust_commands.cc): the server, the
// client and the chain as replayed here.
struct ChainContext {
  client::ApiClient api;
  std::string client;
  trust::Chain chain;
};
StatusOr<ChainContext> OpenChain(const ServerOptions& options, const std::string& client);
// Checks `statement` against the chain here, then hands it to the server. A statement that needs
// more owners' signatures than it carries waits on the server for them (docs/trust-chain.md,
// "Collecting signatures"): SubmitStatement then says so on stdout and returns true.
StatusOr<bool> SubmitStatement(ChainContext& context, const std::string& statement);

// An owner about to sign one statement into the client's trust chain with one device key: the
// chain as replayed here, checked to hold that key.
struct OwnerSigning : ChainContext {
  access::OwnerSigner signer;
  // Signs the chain's next statement of `kind` and gives it to the server; true when it waits for
  // other owners' signatures (SubmitStatement).
  StatusOr<bool> SignAndSubmit(std::string_view kind, Json fields);
};
StatusOr<OwnerSigning> OpenOwnerSigning(const ServerOptions& options, const std::string& client,
                                        const std::string& key_file);
// The client's agent (agent_commands.cc).
// With `key_file`, the printed code names the owner's key, which the agent pins as the founder of
// the client's trust chain.
int AgentInvite(const ServerOptions& options, const std::string& client,
                const std::string& key_file);
int AgentEnrol(const std::string& server, const std::string& code, const std::string& data,
               const std::string& name);
// An owner confirms the agent the server names by the safety code the agent printed, signing its
// keys into the client's trust chain.
int AgentConfirm(const ServerOptions& options, const std::string& client,
                 const std::string& key_file, const std::string& safety_code);
int AgentRun(const std::string& data, const std::string& server, int unknown_grant_seconds,
             int rotation_retry_seconds);
int AgentCa(const std::string& data);
int AgentPrincipals(const std::string& data, const std::string& user, const std::string& key_id,
                    const std::string& serial);
int AgentKrl(const std::string& data, const std::string& out);
int AgentStatus(const std::string& data, bool json);

// The client's credentials, sealed to its agent (vault_commands.cc).
struct VaultArguments {
  std::string client, resource, name, username, rotate, key_file;
  bool exclusive = false;
};
// Reads the secret from `in` (one final line ending dropped) and stores it as the credential's
// next version, sealed here to the sealing key of the agent in the client's trust chain.
int VaultPut(const ServerOptions& options, const VaultArguments& args, std::istream& in);
int VaultList(const ServerOptions& options, const std::string& client);
// A technician reveals a credential under their live reveal-credential grant: the secret, sealed by
// the client's agent to a key made for this reveal alone, goes to stdout and nowhere else.
struct RevealArguments {
  std::string client, grant, name;
  int wait_seconds = 60;
};
int Reveal(const ServerOptions& options, const RevealArguments& args);

// SSH certificates for a technician's live grant (ssh_commands.cc).
struct SshArguments {
  std::string client, resource, host, key_file;
  int port = 0;
  std::vector<std::string> options;  // ssh -o options, e.g. StrictHostKeyChecking=accept-new
  std::vector<std::string> command;  // run on the host instead of a shell
};
int Certificate(const ServerOptions& options, const std::string& client, const std::string& grant,
                const std::string& out, int wait_seconds, const std::string& key_file);
// The technician's SSH key: the unencrypted OpenSSH Ed25519 key at `path`, or by default at
// $QUARTET_SSH_KEY or ~/.config/quartet/id_ed25519, made there on first use. A request for an SSH
// login names it, and the client's agent certifies it and no other key.
StatusOr<ssh::KeyPair> TechnicianSshKey(const std::string& path);
int Ssh(const ServerOptions& options, const SshArguments& args);

// "30m", "2h", "1h30m" in seconds.
StatusOr<int64_t> ParseDuration(std::string_view text);

// Prints "quartet: <message>" to stderr and returns 1.
int Fail(const std::string& message);
// A reply of the server, read checked (base/json.h): InvalidArgument naming the field for anything
// not of the shape asked for.
inline StatusOr<JsonObject> ReplyObject(const Json& reply) {
  return JsonObject::Of(reply, "the server's reply");
}
// The text field `key` of a server reply, which must be there; a failed reply's own error.
inline StatusOr<std::string> ReplyText(const StatusOr<Json>& reply, std::string_view key) {
  RETURN_IF_ERROR(reply.status());
  ASSIGN_OR_RETURN(JsonObject object, ReplyObject(*reply));
  return object.Text(key, Field::kRequired);
}

}  // namespace quartet::cli
