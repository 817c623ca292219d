// The `quartet` command line: parsing only (the one file that includes CLI11).
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"

namespace quartet::cli {

constexpr const char* kSshKeyHelp =
    "your SSH key (unencrypted OpenSSH Ed25519), named in the request; by default "
    "$QUARTET_SSH_KEY or ~/.config/quartet/id_ed25519, made on first use";

namespace {

// Where the parsed options land; they must outlive parsing, as the callbacks read them.
struct ParsedOptions {
  std::string data;
  std::string tenant;
  std::string listen = "127.0.0.1:8080";
  std::string url;
  std::string key;
  std::optional<std::string> origin;
  std::optional<std::string> state;
  uint64_t index = 0;
  MailOptions mail;
  TlsFiles tls;
  std::vector<std::string> witnesses;
  ServerOptions server_options;
  std::string user;
  std::string role;
  std::string client;
  std::string name;
  std::string time_zone = "UTC";
  std::string kind;
  std::string technician;
  std::vector<std::string> labels;
  int days = 30;
  std::string email;
  std::string url_option;
  std::string team;
  AccessArguments access;
  std::string grant_state;
  int limit = 100;
  std::string grant_id;
  std::string key_file;
  std::string comment;
  std::string reason;
  std::string agent_data;
  std::string code;
  std::string safety_code;
  PolicySignArguments policy_sign;
  ResourceSignArguments resource_sign;
  std::string agent_name = "agent";
  std::string out;
  std::string principal_user;
  std::string key_id;
  std::string serial;
  int unknown_grant_seconds = 30;
  int wait_seconds = 60;
  SshArguments ssh_args;
  TrustArguments trust;
  LogTokenArguments log_token;
  VaultArguments vault;
  RevealArguments reveal;
  std::string verify_token;
  bool open_log = false;
  bool no_request_limits = false;
  ServerLimits limits;
};

// quartet log init|append|key|proof: a client's log, on a data folder.
void AddLogCommands(CLI::App& app, ParsedOptions& o, int& result) {
  auto& data = o.data;
  auto& tenant = o.tenant;
  auto& origin = o.origin;
  auto& index = o.index;
  auto* log = app.add_subcommand("log", "a client's verifiable log");
  log->require_subcommand(1);

  auto* init = log->add_subcommand("init", "create a client's log and its signing key");
  init->add_option("--data", data, "data folder")->required();
  init->add_option("--tenant", tenant, "client slug")->required();
  init->add_option("--origin", origin, "checkpoint origin (default <host>/logs/<tenant>)");
  init->add_flag("--open", o.open_log,
                 "anyone may read it (a log of no client: a client's log is its owners' to open)");
  init->callback([&] { result = LogInit(data, tenant, origin, o.open_log); });

  auto* append = log->add_subcommand("append", "append JSON events from stdin, one object a line");
  append->add_option("--data", data, "data folder")->required();
  append->add_option("--tenant", tenant, "client slug")->required();
  append->callback([&] { result = LogAppend(data, tenant, std::cin); });

  auto* key_command = log->add_subcommand("key", "print the log's C2SP verifier key");
  key_command->add_option("--data", data, "data folder")->required();
  key_command->add_option("--tenant", tenant, "client slug")->required();
  key_command->callback([&] { result = LogKey(data, tenant); });

  auto& reader = o.log_token;
  auto& server_options = o.server_options;
  auto* token = log->add_subcommand("token", "read tokens for outside verifiers and auditors")
                    ->require_subcommand(1);
  auto* create = token->add_subcommand("create", "an owner: a read token for the client's log");
  create->add_option("--client", reader.client, "client slug (your own by default)");
  create->add_option("--name", reader.name, "whom it is for, e.g. 'auditor 2027'");
  create->add_option("--expires", reader.expires, "how long it reads, e.g. 90d (default)");
  create->callback([&] { result = LogTokenCreate(server_options, reader); });
  auto* list = token->add_subcommand("list", "the client's read tokens (never their text)");
  list->add_option("--client", reader.client, "client slug (your own by default)");
  list->add_flag("--json", server_options.json, "JSON output");
  list->callback([&] { result = LogTokenList(server_options, reader.client); });
  auto* revoke = token->add_subcommand("revoke", "an owner: a read token reads nothing from now");
  revoke->add_option("--client", reader.client, "client slug (your own by default)");
  revoke->add_option("id", reader.id, "the token's ID (log token list)")->required();
  revoke->callback([&] { result = LogTokenRevoke(server_options, reader); });
  auto* visibility = log->add_subcommand(
      "visibility", "who reads the client's log: 'open' publishes it for anyone, 'private' not");
  visibility->add_option("--client", reader.client, "client slug (your own by default)");
  visibility->add_option("visibility", reader.visibility, "open or private (unset: say which)")
      ->check(CLI::IsMember({"open", "private"}));
  visibility->callback([&] { result = LogVisibility(server_options, reader); });

  auto* proof = log->add_subcommand("proof", "print a C2SP tlog-proof receipt for one entry");
  proof->add_option("--data", data, "data folder")->required();
  proof->add_option("--tenant", tenant, "client slug")->required();
  proof->add_option("--index", index, "entry index")->required();
  proof->callback([&] { result = LogProof(data, tenant, index); });
}

// quartet server and quartet demo.
void AddServerCommands(CLI::App& app, ParsedOptions& o, int& result) {
  auto& data = o.data;
  auto& listen = o.listen;
  auto& mail = o.mail;
  auto& tls = o.tls;
  auto* server = app.add_subcommand("server", "serve the API and publish every log");
  server->add_option("--data", data, "data folder")->required();
  server->add_option("--listen", listen, "HOST:PORT (port 0 picks one)");
  server->add_option("--smtp", mail.smtp, "HOST:PORT of the SMTP relay for owners' notifications");
  server->add_option("--smtp-from", mail.from, "sender address of notifications");
  server
      ->add_option("--tls-cert", tls.certificate,
                   "serve HTTPS: the certificate chain, PEM (the server's first)")
      ->check(CLI::ExistingFile);
  server->add_option("--tls-key", tls.key, "the certificate's private key, PEM")
      ->check(CLI::ExistingFile);
  server->add_flag("--no-request-limits", o.no_request_limits,
                   "do not rate-limit access requests and proposals (benchmarks only)");
  server->add_option("--max-connections", o.limits.connections,
                     "open connections at most (default: 3/4 of the file-descriptor limit)");
  server->add_option("--max-connections-per-address", o.limits.connections_per_address,
                     "open connections from one client address at most (default 256)");
  server->callback([&] {
    o.limits.requests = !o.no_request_limits;
    result = Server(data, listen, mail, tls, o.limits);
  });

  auto* demo = app.add_subcommand("demo", "create demo clients and logs, then serve them");
  demo->add_option("--data", data, "data folder")->required();
  demo->add_option("--listen", listen, "HOST:PORT (port 0 picks one)");
  demo->callback([&] { result = Demo(data, listen); });
}

// quartet verify: a published log end to end.
void AddVerifyCommands(CLI::App& app, ParsedOptions& o, int& result) {
  auto& url = o.url;
  auto& key = o.key;
  auto& state = o.state;
  auto& witnesses = o.witnesses;
  auto* verify = app.add_subcommand("verify", "verify a published log end to end");
  verify->add_option("--url", url, "the log's prefix, e.g. http://host/logs/acme")->required();
  verify->add_option("--key", key, "the log's C2SP verifier key")->required();
  verify->add_option("--state", state, "file keeping the last verified checkpoint");
  verify->add_option(
      "--witness", witnesses,
      "a witness's verifier key (the client's agent): accept only its cosigned checkpoints");
  verify
      ->add_option("--token", o.verify_token,
                   "a read token from the client's owners (or your own), sent as a bearer token")
      ->envname("QUARTET_TOKEN");
  verify->callback([&] {
    result = Verify(url, key, witnesses, state,
                    o.verify_token.empty() ? o.server_options.token : o.verify_token);
  });
}

// --server, --token and --json, for every command that talks to a server.
void AddServerOptions(CLI::App& app, ParsedOptions& o) {
  auto& server_options = o.server_options;
  app.add_option("--server", server_options.server, "the Quartet server's URL")
      ->envname("QUARTET_SERVER");
  app.add_option("--token", server_options.token, "a bearer token")->envname("QUARTET_TOKEN");
  app.add_flag("--json", server_options.json, "JSON output for scripts");
}

// quartet admin: local administration on the server's data folder.
void AddAdminCommands(CLI::App& app, ParsedOptions& o, int& result) {
  auto& data = o.data;
  auto& tenant = o.tenant;
  auto& user = o.user;
  auto& role = o.role;
  auto& client = o.client;
  auto& name = o.name;
  auto& time_zone = o.time_zone;
  auto& kind = o.kind;
  auto& technician = o.technician;
  auto& labels = o.labels;
  auto& days = o.days;
  auto& email = o.email;
  auto& url_option = o.url_option;
  auto& team = o.team;
  // Local administration.
  auto* admin = app.add_subcommand("admin", "local administration on the server's data folder");
  admin->require_subcommand(1);
  admin->add_option("--data", data, "data folder")->required();
  auto* admin_user = admin->add_subcommand("user", "people")->require_subcommand(1);
  auto* user_add = admin_user->add_subcommand("add", "add a person");
  user_add->add_option("--name", user, "user name")->required();
  user_add
      ->add_option("--role", role,
                   "provider-admin, senior-technician, technician, owner, client-staff, auditor")
      ->required();
  user_add->add_option("--client", client, "the client of an owner, client staff or auditor");
  user_add->callback([&] { result = AdminAddUser(data, user, role, client); });
  auto* user_password =
      admin_user->add_subcommand("password", "set a password, read from standard input");
  user_password->add_option("--name", user, "user name")->required();
  user_password->callback([&] { result = AdminSetPassword(data, user, std::cin); });
  auto* user_totp =
      admin_user->add_subcommand("totp", "enrol a TOTP second factor; prints its otpauth:// URI");
  user_totp->add_option("--name", user, "user name")->required();
  user_totp->callback([&] { result = AdminEnrolTotp(data, user); });
  auto* user_email =
      admin_user->add_subcommand("email", "where a person hears of requests and break-glass");
  user_email->add_option("--name", user, "user name")->required();
  user_email->add_option("--email", email, "e-mail address")->required();
  user_email->callback([&] { result = AdminSetEmail(data, user, email); });
  auto* admin_client = admin->add_subcommand("client", "clients")->require_subcommand(1);
  auto* client_webhook =
      admin_client->add_subcommand("webhook", "a client's webhook for requests and break-glass");
  client_webhook->add_option("--tenant", tenant, "client slug")->required();
  client_webhook->add_option("--url", url_option, "http(s) URL")->required();
  client_webhook->callback([&] { result = AdminSetWebhook(data, tenant, url_option); });
  auto* client_add =
      admin_client->add_subcommand("add", "add a client, with its log and the safe default policy");
  client_add->add_option("--tenant", tenant, "client slug")->required();
  client_add->add_option("--name", name, "the client's name")->required();
  client_add->add_option("--time-zone", time_zone, "IANA time zone, e.g. Europe/London");
  client_add->callback([&] { result = AdminAddClient(data, tenant, name, time_zone); });
  auto* admin_resource = admin->add_subcommand("resource", "resources")->require_subcommand(1);
  auto* resource_add = admin_resource->add_subcommand("add", "add a client resource");
  resource_add->add_option("--client", client, "client slug")->required();
  resource_add->add_option("--name", name, "resource name")->required();
  resource_add
      ->add_option(
          "--kind", kind,
          "ssh-host, mailbox, file-share, finance-system, network-device, saas-console, backup")
      ->required();
  resource_add->add_option("--label", labels,
                           "email, financial, hr, personal, health, legal, credentials, backups");
  resource_add->callback([&] { result = AdminAddResource(data, client, name, kind, labels); });
  auto* relate = admin->add_subcommand("relate", "let a technician or a team serve a client");
  relate->add_option("--client", client, "client slug")->required();
  auto* relate_technician = relate->add_option("--technician", technician, "provider user");
  auto* relate_team = relate->add_option("--team", team, "provider team");
  relate_technician->excludes(relate_team);
  relate->callback([&] {
    if (team.empty() && technician.empty()) {
      result = Fail("say --technician or --team");
    } else {
      result = team.empty() ? AdminRelate(data, client, technician)
                            : AdminRelateTeam(data, client, team);
    }
  });
  auto* admin_team =
      admin->add_subcommand("team", "teams of provider staff")->require_subcommand(1);
  auto* team_add = admin_team->add_subcommand("add", "add a team");
  team_add->add_option("--name", team, "team name")->required();
  team_add->callback([&] { result = AdminAddTeam(data, team); });
  auto* team_member = admin_team->add_subcommand("member", "put a technician in a team");
  team_member->add_option("--team", team, "team name")->required();
  team_member->add_option("--user", user, "provider user")->required();
  team_member->callback([&] { result = AdminAddTeamMember(data, team, user); });
  auto* offboard =
      admin->add_subcommand("offboard", "end a provider user's grants and sign-ins at once");
  offboard->add_option("--user", user, "provider user")->required();
  offboard->callback([&] { result = AdminOffboard(data, user); });
  auto* admin_token = admin->add_subcommand("token", "bearer tokens")->require_subcommand(1);
  auto* token_create = admin_token->add_subcommand("create", "print a new bearer token for a user");
  token_create->add_option("--user", user, "user name")->required();
  token_create->add_option("--days", days, "lifetime in days")->check(CLI::Range(1, 365));
  token_create->callback([&] { result = AdminCreateToken(data, user, days); });
}

// Access through a server: request, breakglass, grants, approve, deny, end, revoke, login,
// owner-key.
void AddAccessCommands(CLI::App& app, ParsedOptions& o, int& result) {
  auto& server_options = o.server_options;
  auto& user = o.user;
  auto& client = o.client;
  auto& access = o.access;
  auto& grant_state = o.grant_state;
  auto& limit = o.limit;
  auto& grant_id = o.grant_id;
  auto& key_file = o.key_file;
  auto& comment = o.comment;
  auto& reason = o.reason;
  // Access, through a server.
  auto add_request_options = [&](CLI::App* command) {
    command->add_option("--client", access.client, "client slug")->required();
    command->add_option("--resource", access.resource, "resource name")->required();
    command->add_option("--login", access.login, "account to log in as");
    command->add_option("--action", access.action,
                        "login, reveal-credential, open-mailbox, read-files, ...");
    command->add_option("--for", access.duration, "how long, e.g. 30m or 2h")->required();
    command->add_option("--reason", access.reason, "why")->required();
    command->add_option("--ticket", access.ticket, "ticket reference");
    command->add_option("--ssh-key", access.ssh_key_file, kSshKeyHelp);
  };
  auto* request = app.add_subcommand("request", "ask for just-in-time access");
  add_request_options(request);
  request->callback([&] { result = RequestAccess(server_options, access); });
  auto* breakglass = app.add_subcommand(
      "breakglass", "take access at once; the owners are told and must review it");
  add_request_options(breakglass);
  breakglass->callback([&] {
    access.breakglass = true;
    result = RequestAccess(server_options, access);
  });
  auto* grants = app.add_subcommand("grants", "list a client's grants");
  grants->add_option("--client", client, "client slug (an owner's own by default)");
  grants->add_option("--state", grant_state,
                     "pending, approved, denied, ended, revoked or expired");
  grants->add_option("--limit", limit, "how many, newest first")->check(CLI::Range(1, 1000));
  grants->callback([&] { result = ListGrants(server_options, client, grant_state, limit); });
  for (const char* verb : {"approve", "deny"}) {
    auto* decide = app.add_subcommand(
        verb, std::string(verb) + " a pending request, signed with your owner key");
    decide->add_option("id", grant_id, "grant id")->required();
    decide->add_option("--client", client, "client slug (your own by default)");
    decide->add_option("--key", key_file, "owner key file")
        ->required()
        ->envname("QUARTET_OWNER_KEY");
    decide->add_option("--comment", comment, "a note kept in the log");
    const bool approve = std::string(verb) == "approve";
    decide->callback([&, approve] {
      result = DecideGrant(server_options, client, grant_id, approve, key_file, comment);
    });
  }
  for (const char* verb : {"end", "revoke"}) {
    auto* action = app.add_subcommand(
        verb, std::string(verb) == "end" ? "end your grant now" : "revoke a grant now");
    action->add_option("id", grant_id, "grant id")->required();
    action->add_option("--client", client, "client slug (your own by default)");
    if (std::string(verb) == "revoke") action->add_option("--reason", reason, "why");
    const std::string name_copy = verb;
    action->callback([&, name_copy] {
      result = GrantAction(server_options, client, grant_id, name_copy, reason);
    });
  }
  auto* login = app.add_subcommand(
      "login", "sign in with password and code; prints a token for QUARTET_TOKEN");
  login->add_option("--user", user, "user name")->required();
  login->callback([&] { result = Login(server_options, user, std::cin); });
  auto* invitation = app.add_subcommand("invitation", "for the people of a client: an invitation")
                         ->require_subcommand(1);
  auto* accept = invitation->add_subcommand(
      "accept", "choose your password (read from standard input) and receive your second factor");
  accept->add_option("--code", o.code, "the invitation's code")->required();
  accept->callback([&] { result = InvitationAccept(server_options, o.code, std::cin); });
  auto* owner_key =
      app.add_subcommand("owner-key", "an owner's signing key")->require_subcommand(1);
  auto* owner_key_create =
      owner_key->add_subcommand("create", "make a key, kept in a file only you can read");
  owner_key_create->add_option("--out", key_file, "file to create")->required();
  owner_key_create->callback([&] { result = OwnerKeyCreate(key_file); });
  auto* owner_key_register =
      owner_key->add_subcommand("register", "register your key with the server (logged)");
  owner_key_register->add_option("--key", key_file, "owner key file")->required();
  owner_key_register->callback([&] { result = OwnerKeyRegister(server_options, key_file); });
}

// quartet agent: the client's agent.
void AddAgentCommands(CLI::App& app, ParsedOptions& o, int& result) {
  auto& server_options = o.server_options;
  auto& client = o.client;
  auto& agent_data = o.agent_data;
  auto& code = o.code;
  auto& agent_name = o.agent_name;
  auto& out = o.out;
  auto& principal_user = o.principal_user;
  auto& key_id = o.key_id;
  auto& serial = o.serial;
  auto& key_file = o.key_file;
  auto& unknown_grant_seconds = o.unknown_grant_seconds;
  auto* agent =
      app.add_subcommand("agent",
                         "the client's agent: witness, SSH CA, access only through logged grants")
          ->require_subcommand(1);
  auto* agent_invite =
      agent->add_subcommand("invite", "an owner: a one-time code to enrol the client's agent");
  agent_invite->add_option("--client", client, "client slug (your own by default)");
  agent_invite->add_option("--key", key_file,
                           "your owner key file: the agent takes the trust chain only from it");
  agent_invite->callback([&] { result = AgentInvite(server_options, client, key_file); });
  auto* agent_confirm = agent->add_subcommand(
      "confirm", "an owner: confirm the enrolled agent by its safety code, in the trust chain");
  agent_confirm->add_option("--client", client, "client slug (your own by default)");
  agent_confirm->add_option("--key", key_file, "your owner key file")->required();
  agent_confirm->add_option("--safety-code", o.safety_code, "the code the agent printed")
      ->required();
  agent_confirm->callback(
      [&] { result = AgentConfirm(server_options, client, key_file, o.safety_code); });
  auto* agent_enrol =
      agent->add_subcommand("enrol", "make the agent's keys and enrol it with an owner's code");
  agent_enrol->add_option("--code", code, "the one-time code")->required();
  agent_enrol->add_option("--data", agent_data, "the agent's data folder")->required();
  agent_enrol->add_option("--name", agent_name, "a name for this agent");
  agent_enrol->callback([&] {
    if (server_options.server.empty()) {
      result = Fail("pass --server");
      return;
    }
    result = AgentEnrol(server_options.server, code, agent_data, agent_name);
  });
  auto* agent_run =
      agent->add_subcommand("run",
                            "follow and cosign the log; sign certificates and reveal credentials "
                            "for live grants; rotate credentials once their grant is over");
  agent_run->add_option("--data", agent_data, "the agent's data folder")->required();
  agent_run->add_option(
      "--unknown-grant-wait", unknown_grant_seconds,
      "seconds a certificate request for a grant not in the log waits before it is refused");
  int rotation_retry_seconds = 60;
  agent_run
      ->add_option("--rotation-retry", rotation_retry_seconds,
                   "seconds before a failed rotation is tried again (doubling up to an hour)")
      ->check(CLI::Range(1, 3600));
  agent_run->callback([&] {
    result =
        AgentRun(agent_data, server_options.server, unknown_grant_seconds, rotation_retry_seconds);
  });
  auto* agent_ca =
      agent->add_subcommand("ca", "print the client's SSH CA public key (for TrustedUserCAKeys)");
  agent_ca->add_option("--data", agent_data, "the agent's data folder")->required();
  agent_ca->callback([&] { result = AgentCa(agent_data); });
  auto* agent_principals = agent->add_subcommand(
      "principals", "for sshd's AuthorizedPrincipalsCommand: the login a live grant allows");
  agent_principals->add_option("--data", agent_data, "the agent's data folder")->required();
  agent_principals->add_option("--user", principal_user, "the account logged in to (%u)")
      ->required();
  agent_principals->add_option("--key-id", key_id, "the certificate's key ID (%i)")->required();
  agent_principals->add_option("--serial", serial, "the certificate's serial (%s)")->required();
  agent_principals->callback(
      [&] { result = AgentPrincipals(agent_data, principal_user, key_id, serial); });
  auto* agent_krl =
      agent->add_subcommand("krl", "write an OpenSSH KRL of certificates whose grants are over");
  agent_krl->add_option("--data", agent_data, "the agent's data folder")->required();
  agent_krl->add_option("--out", out, "the KRL file (for sshd's RevokedKeys)")->required();
  agent_krl->callback([&] { result = AgentKrl(agent_data, out); });
  auto* agent_status =
      agent->add_subcommand("status", "what the agent has witnessed, issued and raised");
  agent_status->add_option("--data", agent_data, "the agent's data folder")->required();
  agent_status->add_flag("--json", server_options.json, "JSON output");
  agent_status->callback([&] { result = AgentStatus(agent_data, server_options.json); });
}

// quartet cert and quartet ssh: certificates for a live grant, and logging in with them.
void AddSshCommands(CLI::App& app, ParsedOptions& o, int& result) {
  auto& server_options = o.server_options;
  auto& client = o.client;
  auto& grant_id = o.grant_id;
  auto& out = o.out;
  auto& wait_seconds = o.wait_seconds;
  auto& ssh_args = o.ssh_args;
  auto* cert = app.add_subcommand("cert", "a key pair and an SSH certificate for your live grant");
  cert->add_option("--client", client, "client slug")->required();
  cert->add_option("--grant", grant_id, "grant id")->required();
  cert->add_option("--out", out, "key file to create; the certificate goes to FILE-cert.pub")
      ->required();
  cert->add_option("--wait", wait_seconds, "seconds to wait for the client's agent");
  cert->add_option("--ssh-key", ssh_args.key_file, kSshKeyHelp);
  cert->callback([&] {
    result = Certificate(server_options, client, grant_id, out, wait_seconds, ssh_args.key_file);
  });
  auto* ssh =
      app.add_subcommand("ssh", "log in to a resource with a certificate for your live grant");
  ssh->add_option("resource", ssh_args.resource, "the resource")->required();
  ssh->add_option("--client", ssh_args.client, "client slug")->required();
  ssh->add_option("--host", ssh_args.host, "host name or address (the resource's name by default)");
  ssh->add_option("--port", ssh_args.port, "SSH port");
  ssh->add_option("--ssh-option", ssh_args.options, "an option for ssh -o (repeatable)");
  ssh->add_option("--ssh-key", ssh_args.key_file, kSshKeyHelp);
  ssh->add_option("command", ssh_args.command, "a command to run instead of a shell (after --)");
  ssh->callback([&] { result = Ssh(server_options, ssh_args); });
}

// quartet vault put|list: the client's credentials, sealed to its agent.
void AddVaultCommands(CLI::App& app, ParsedOptions& o, int& result) {
  auto& server_options = o.server_options;
  auto& vault = o.vault;
  auto* group = app.add_subcommand("vault", "the client's credentials, sealed to its agent")
                    ->require_subcommand(1);
  auto* put = group->add_subcommand(
      "put", "an owner or provider admin: store a credential's next version (the secret on stdin)");
  put->add_option("--client", vault.client, "client slug (your own by default)");
  put->add_option("--resource", vault.resource, "the resource it opens")->required();
  put->add_option("--name", vault.name, "its name, e.g. admin")->required();
  put->add_option("--username", vault.username, "the account it is the password of");
  put->add_flag("--exclusive", vault.exclusive, "one holder at a time; rotated after each");
  put->add_option("--rotate", vault.rotate,
                  "how the agent changes it after a reveal: postgresql://ROLE@HOST:PORT, "
                  "ssh://USER@HOST:PORT or ldap://HOST:PORT/DN (default: by hand)");
  put->add_option("--key", vault.key_file,
                  "an owner's device key: checks that the chain is the owners' own");
  put->add_flag("--json", server_options.json, "JSON output");
  put->callback([&] { result = VaultPut(server_options, vault, std::cin); });
  auto* list = group->add_subcommand(
      "list", "names, versions, reveals and rotation of the client's credentials (never values)");
  list->add_option("--client", vault.client, "client slug (your own by default)");
  list->add_flag("--json", server_options.json, "JSON output");
  list->callback([&] { result = VaultList(server_options, vault.client); });
  auto& reveal = o.reveal;
  auto* show = app.add_subcommand(
      "reveal", "a technician: a credential's secret to stdout, under your live grant");
  show->add_option("--client", reveal.client, "client slug")->required();
  show->add_option("--grant", reveal.grant, "your reveal-credential grant")->required();
  show->add_option("--name", reveal.name, "which credential (if the resource has several)");
  show->add_option("--wait", reveal.wait_seconds, "seconds to wait for the client's agent");
  show->callback([&] { result = Reveal(server_options, reveal); });
}

// quartet trust: the client's trust chain, made and checked on the owner's side.
void AddTrustCommands(CLI::App& app, ParsedOptions& o, int& result) {
  auto& server_options = o.server_options;
  auto& client = o.client;
  auto& args = o.trust;
  auto* trust = app.add_subcommand("trust", "the client's trust chain: who approves for it")
                    ->require_subcommand(1);
  auto* init = trust->add_subcommand(
      "init", "an owner starts the chain with their key, and gets a recovery key to keep offline");
  init->add_option("--client", args.client, "client slug (your own by default)");
  init->add_option("--key", args.key_file, "your owner key file")
      ->required()
      ->envname("QUARTET_OWNER_KEY");
  init->add_option("--recovery-out", args.recovery_out, "file to create for the recovery key")
      ->required();
  init->add_option("--owner", args.owner, "your name in the chain (your user name by default)");
  init->add_option("--device-name", args.device_name, "what to call this key, e.g. laptop");
  init->callback([&] { result = TrustInit(server_options, args); });
  auto* show = trust->add_subcommand("show", "check the chain here and say what it holds");
  show->add_option("--client", client, "client slug (your own by default)");
  show->callback([&] { result = TrustShow(server_options, client); });

  auto* link = trust->add_subcommand(
      "link", "a new device's key offers itself; prints the code to approve it with");
  link->add_option("--client", args.client, "client slug (your own by default)");
  link->add_option("--key", args.key_file, "the new device's owner key file")->required();
  link->add_option("--device-name", args.device_name, "what to call this key, e.g. laptop");
  link->callback([&] { result = TrustLink(server_options, args); });
  auto* approve_link = trust->add_subcommand(
      "approve-link", "sign the device a link code names into the chain, with a device of yours");
  approve_link->add_option("--client", args.client, "client slug (your own by default)");
  approve_link->add_option("--key", args.key_file, "your owner key file, a device in the chain")
      ->required()
      ->envname("QUARTET_OWNER_KEY");
  approve_link->add_option("--code", args.code, "the code 'quartet trust link' printed")
      ->required();
  approve_link->callback([&] { result = TrustApproveLink(server_options, args); });
  auto* devices = trust->add_subcommand("devices", "the owners' devices, as the chain says");
  devices->add_option("--client", client, "client slug (your own by default)");
  devices->add_flag("--json", server_options.json, "JSON output");
  devices->callback([&] { result = TrustDevices(server_options, client); });
  auto* remove_device =
      trust->add_subcommand("remove-device", "take a device out of the chain, signed by yours");
  remove_device->add_option("--client", args.client, "client slug (your own by default)");
  remove_device->add_option("--key", args.key_file, "your owner key file, a device in the chain")
      ->required()
      ->envname("QUARTET_OWNER_KEY");
  remove_device->add_option("--device", args.device, "the key ID of the device to remove")
      ->required();
  remove_device->callback([&] { result = TrustRemoveDevice(server_options, args); });
  auto* recover = trust->add_subcommand(
      "recover", "every device lost: the recovery key puts a new one in place of them all");
  recover->add_option("--client", args.client, "client slug (your own by default)");
  recover->add_option("--recovery-key", args.recovery_key_file, "the recovery key file")
      ->required();
  recover->add_option("--key", args.key_file, "the new device's owner key file")->required();
  recover
      ->add_option("--recovery-out", args.recovery_out, "file to create for the new recovery key")
      ->required();
  recover->add_option("--owner", args.owner, "your name in the chain (your user name by default)");
  recover->add_option("--device-name", args.device_name, "what to call the new key, e.g. laptop");
  recover->callback([&] { result = TrustRecover(server_options, args); });

  auto* pending = trust->add_subcommand(
      "pending", "the changes waiting for owners' signatures, checked here, in plain words");
  pending->add_option("--client", client, "client slug (your own by default)");
  pending->add_flag("--json", server_options.json, "JSON output");
  pending->callback([&] { result = TrustPending(server_options, client); });
  auto* sign = trust->add_subcommand("sign", "add your signature to a change waiting for it");
  sign->add_option("--client", args.client, "client slug (your own by default)");
  sign->add_option("--key", args.key_file, "your owner key file, a device in the chain")
      ->required()
      ->envname("QUARTET_OWNER_KEY");
  sign->add_option("--id", args.id,
                   "which change ('quartet trust pending'); the only one if unset");
  sign->callback([&] { result = TrustSign(server_options, args); });
  auto* threshold = trust->add_subcommand(
      "threshold", "how many owners must sign a change (1 up to the number of owners)");
  threshold->add_option("--client", args.client, "client slug (your own by default)");
  threshold->add_option("--key", args.key_file, "your owner key file, a device in the chain")
      ->required()
      ->envname("QUARTET_OWNER_KEY");
  threshold->add_option("threshold", args.threshold, "the number of owners")->required();
  threshold->callback([&] { result = TrustThreshold(server_options, args); });
}

// quartet policy: the client's access policy, read and signed on the owner's side.
void AddPolicyCommands(CLI::App& app, ParsedOptions& o, int& result) {
  auto& server_options = o.server_options;
  auto& client = o.client;
  auto& args = o.policy_sign;
  auto* policy = app.add_subcommand("policy", "the client's access policy: who gets in, and how")
                     ->require_subcommand(1);
  auto* show = policy->add_subcommand("show", "the policy in force, in plain words");
  show->add_option("--client", client, "client slug (your own by default)");
  show->callback([&] { result = PolicyShow(server_options, client); });
  auto* sign = policy->add_subcommand(
      "sign", "an owner puts a policy in force by signing it into the trust chain");
  sign->add_option("--client", args.client, "client slug (your own by default)");
  sign->add_option("--key", args.key_file, "your owner key file")
      ->required()
      ->envname("QUARTET_OWNER_KEY");
  sign->add_option("--file", args.file, "a file holding the policy's JSON");
  sign->add_option("--proposal", args.proposal, "the ID of the provider's proposal to sign");
  sign->callback([&] { result = PolicySign(server_options, args); });
  auto& resource_args = o.resource_sign;
  auto* resource = app.add_subcommand("resource", "what the client's resources hold, as owners say")
                       ->require_subcommand(1);
  auto* resource_sign = resource->add_subcommand(
      "sign",
      "an owner signs what a resource holds; until then it is treated as holding everything");
  resource_sign->add_option("--client", resource_args.client, "client slug (your own by default)");
  resource_sign->add_option("--key", resource_args.key_file, "your owner key file")
      ->required()
      ->envname("QUARTET_OWNER_KEY");
  resource_sign->add_option("--resource", resource_args.resource, "the resource's name")
      ->required();
  resource_sign->add_option("--kind", resource_args.kind,
                            "ssh-host, mailbox, file-share, … (the provider's record by default)");
  resource_sign
      ->add_option("--labels", resource_args.labels,
                   "what it holds: email, financial, hr, personal, health, legal, credentials, "
                   "backups, or none")
      ->required()
      ->delimiter(',');
  resource_sign->callback([&] { result = ResourceSign(server_options, resource_args); });
}

}  // namespace
}  // namespace quartet::cli

int main(int argc, char** argv) {
  using namespace quartet::cli;
  CLI::App app{"Quartet: verifiable, just-in-time access for IT service providers"};
  app.require_subcommand(1);
  // --server, --token and --json may follow the subcommand too (quartet agent enrol --server URL).
  app.fallthrough();
  int result = 0;

  ParsedOptions o;
  AddLogCommands(app, o, result);
  AddServerCommands(app, o, result);
  AddVerifyCommands(app, o, result);
  AddServerOptions(app, o);
  AddAdminCommands(app, o, result);
  AddAccessCommands(app, o, result);
  AddAgentCommands(app, o, result);
  AddSshCommands(app, o, result);
  AddTrustCommands(app, o, result);
  AddPolicyCommands(app, o, result);
  AddVaultCommands(app, o, result);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const nlohmann::json::exception& e) {
    // A reply from the server (or an agent) that is JSON but not of the shape asked for: a clear
    // error, never a crash.
    std::fprintf(stderr, "quartet: the server's reply is malformed (%s)\n", e.what());
    return 1;
  }
  return result;
}
