// `quartet cert` and `quartet ssh`: a technician's SSH certificate for a live grant, signed by the
// client's agent, for the technician's SSH key that the request named (TechnicianSshKey).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/file_system.h"
#include "base/random.h"
#include "cli/commands.h"
#include "client/api_client.h"
#include "ssh/key.h"

namespace quartet::cli {
namespace {

using Json = nlohmann::json;

std::string DefaultTechnicianKeyPath() {
  if (const char* given = std::getenv("QUARTET_SSH_KEY"); given != nullptr && *given != '\0')
    return given;
  const char* config = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  const std::string base = config != nullptr && *config != '\0'
                               ? std::string(config)
                               : std::string(home != nullptr ? home : ".") + "/.config";
  return base + "/quartet/id_ed25519";
}

struct Issued {
  ssh::KeyPair key;
  std::string certificate;
  std::string login;       // the grant's
  int64_t window_end = 0;  // the grant's
};

// A certificate for `key` from the client's agent; waits for the agent up to `patience`.
StatusOr<Issued> ObtainCertificate(client::ApiClient& api, const std::string& client,
                                   const std::string& grant, ssh::KeyPair key,
                                   std::chrono::seconds patience) {
  ASSIGN_OR_RETURN(Json grant_reply, api.Call("GET", "/clients/" + client + "/grants/" + grant));
  ASSIGN_OR_RETURN(JsonObject grant_view, ReplyObject(grant_reply));
  ASSIGN_OR_RETURN(std::string login, grant_view.Text("login", Field::kOptional));
  ASSIGN_OR_RETURN(int64_t window_end, grant_view.Integer("window_end", Field::kOptional));
  const auto deadline = std::chrono::steady_clock::now() + patience;
  ASSIGN_OR_RETURN(Json reply,
                   api.Call("POST", "/clients/" + client + "/grants/" + grant + "/certificates",
                            {{"public_key", ssh::FormatPublicKey(key.public_key(), "")},
                             {"wait_seconds", std::min<int64_t>(patience.count(), 20)}}));
  for (;;) {
    ASSIGN_OR_RETURN(JsonObject answer, ReplyObject(reply));
    ASSIGN_OR_RETURN(std::string state, answer.Text("state", Field::kRequired));
    ASSIGN_OR_RETURN(std::string id, answer.Text("id", Field::kRequired));
    if (state == "issued") {
      ASSIGN_OR_RETURN(std::string certificate, answer.Text("certificate", Field::kRequired));
      return Issued{std::move(key), std::move(certificate), std::move(login), window_end};
    }
    if (state != "pending") {
      ASSIGN_OR_RETURN(std::string reason, answer.Text("reason", Field::kOptional));
      return PermissionDeniedError("the client's agent refused: " +
                                   (reason.empty() ? std::string("no reason") : reason));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return UnavailableError("the client's agent has not answered (request " + id +
                              " waits; is the agent running?)");
    }
    ASSIGN_OR_RETURN(reply,
                     api.Call("GET", "/clients/" + client + "/certificates/" + id + "?wait=20"));
  }
}

// FILE (private key, 0600), FILE.pub and FILE-cert.pub, as ssh-keygen names them.
Status WriteKeyFiles(const std::string& out, const Issued& issued, const std::string& comment) {
  RETURN_IF_ERROR(WriteSecretFile(out, issued.key.PrivateKeyFile(comment, Random::System())));
  RETURN_IF_ERROR(
      WriteFileAtomically(FileSystem::Posix(), out + ".pub",
                          ssh::FormatPublicKey(issued.key.public_key(), comment) + "\n"));
  return WriteFileAtomically(FileSystem::Posix(), out + "-cert.pub", issued.certificate + "\n");
}

}  // namespace

StatusOr<ssh::KeyPair> TechnicianSshKey(const std::string& given) {
  const std::string path = given.empty() ? DefaultTechnicianKeyPath() : given;
  FileSystem& fs = FileSystem::Posix();
  auto read = [&]() -> StatusOr<ssh::KeyPair> {
    ASSIGN_OR_RETURN(const std::string text, fs.ReadFile(path));
    auto key = ssh::KeyPair::ParsePrivateKeyFile(text);
    if (!key.ok())
      return InvalidArgumentError(
          path + " is not an unencrypted OpenSSH Ed25519 key: " + key.status().message());
    return key;
  };
  if (fs.FileExists(path)) return read();
  // Made once, readable by its owner alone. Two commands making it at the same moment both link
  // their own file into place; the one that loses reads the winner's.
  RETURN_IF_ERROR(fs.CreateDirectories(ParentDirectory(path)));
  const ssh::KeyPair key = ssh::KeyPair::Generate(Random::System());
  Bytes nonce(8);
  Random::System().Fill(nonce);
  const std::string own = path + ".new-" + HexEncode(nonce);
  RETURN_IF_ERROR(WriteSecretFile(fs, own, key.PrivateKeyFile("quartet", Random::System())));
  const Status linked = fs.Link(own, path);
  (void)fs.RemoveFile(own);
  if (linked.code() == StatusCode::kAlreadyExists) return read();
  RETURN_IF_ERROR(linked);
  (void)WriteFileAtomically(fs, path + ".pub",
                            ssh::FormatPublicKey(key.public_key(), "quartet") + "\n");
  return key;
}

int Certificate(const ServerOptions& options, const std::string& client, const std::string& grant,
                const std::string& out, int wait_seconds, const std::string& key_file) {
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto key = TechnicianSshKey(key_file);
  if (!key.ok()) return Fail(key.status().message());
  auto issued =
      ObtainCertificate(*api, client, grant, std::move(*key), std::chrono::seconds(wait_seconds));
  if (!issued.ok()) return Fail(issued.status().message());
  if (Status written = WriteKeyFiles(out, *issued, "grant-" + grant); !written.ok())
    return Fail(written.message());
  std::cout << "certificate for " << issued->login << " until "
            << FormatUtc(issued->window_end, "%Y-%m-%d %H:%M") << " UTC written to " << out
            << "-cert.pub (key " << out << ")\n";
  return 0;
}

int Ssh(const ServerOptions& options, const SshArguments& args) {
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  // The technician's own live grant for this resource, newest first.
  auto grants = api->Call("GET", "/clients/" + args.client + "/grants?state=approved&limit=100");
  if (!grants.ok()) return Fail(grants.status().message());
  auto reply = ReplyObject(*grants);
  if (!reply.ok()) return Fail(reply.status().message());
  auto list = reply->Objects("grants", Field::kRequired);
  if (!list.ok()) return Fail(list.status().message());
  std::string grant;
  for (const JsonObject& g : *list) {
    auto resource = g.Text("resource", Field::kRequired);
    auto live = g.Boolean("live", Field::kOptional);
    auto action = g.Text("action", Field::kOptional);
    auto id = g.Text("id", Field::kRequired);
    if (!resource.ok() || !live.ok() || !action.ok() || !id.ok())
      return Fail("the server's reply lists a malformed grant");
    if (*resource == args.resource && *live && *action == "login") {
      grant = *id;
      break;
    }
  }
  if (grant.empty()) {
    return Fail("no live grant of yours for " + args.resource +
                ": ask with 'quartet request --client " + args.client + " --resource " +
                args.resource + " --login <account> --for 30m --reason \"…\"'");
  }
  auto key = TechnicianSshKey(args.key_file);
  if (!key.ok()) return Fail(key.status().message());
  auto issued =
      ObtainCertificate(*api, args.client, grant, std::move(*key), std::chrono::seconds(60));
  if (!issued.ok()) return Fail(issued.status().message());
  char folder_template[] = "/tmp/quartet-ssh-XXXXXX";
  const char* folder = ::mkdtemp(folder_template);
  if (folder == nullptr) return Fail("cannot make a folder for the key");
  const std::string key_path = std::string(folder) + "/id_ed25519";
  if (Status written = WriteKeyFiles(key_path, *issued, "grant-" + grant); !written.ok())
    return Fail(written.message());
  const std::string& login = issued->login;
  std::vector<std::string> command = {"ssh",
                                      "-i",
                                      key_path,
                                      "-o",
                                      "CertificateFile=" + key_path + "-cert.pub",
                                      "-o",
                                      "IdentitiesOnly=yes",
                                      "-l",
                                      login};
  if (args.port != 0) command.insert(command.end(), {"-p", std::to_string(args.port)});
  for (const std::string& option : args.options) command.insert(command.end(), {"-o", option});
  command.push_back(args.host.empty() ? args.resource : args.host);
  command.insert(command.end(), args.command.begin(), args.command.end());
  std::vector<char*> argv;
  for (std::string& part : command) argv.push_back(part.data());
  argv.push_back(nullptr);
  // The key lives as long as the certificate is useful: removed after ssh returns.
  const pid_t child = ::fork();
  if (child == 0) {
    ::execvp("ssh", argv.data());
    std::_Exit(127);
  }
  int status = 0;
  if (child > 0) ::waitpid(child, &status, 0);
  for (const char* suffix : {"", ".pub", "-cert.pub"}) ::unlink((key_path + suffix).c_str());
  ::rmdir(folder);
  if (child < 0) return Fail("cannot start ssh");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace quartet::cli
