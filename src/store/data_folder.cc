#include "store/data_folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace quartet::store {

StatusOr<std::unique_ptr<FileLock>> FileLock::Acquire(const std::string& path, Wait wait) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return InternalError("open " + path + ": " + std::strerror(errno));
  int flags = LOCK_EX | (wait == Wait::kNo ? LOCK_NB : 0);
  while (::flock(fd, flags) != 0) {
    if (errno == EINTR) continue;
    int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) return UnavailableError(path + " is held by another process");
    return InternalError("flock " + path + ": " + std::strerror(error));
  }
  return std::unique_ptr<FileLock>(new FileLock(fd));
}

FileLock::~FileLock() { ::close(fd_); }

namespace {

// The data folder holds password hashes, TOTP and webhook secrets and the logs' signing keys: it
// and its databases are the server's user's alone. Anything wider, as an older version or a copy
// left it, is narrowed at once, and said on stderr.
Status KeepPrivate(const std::string& path, mode_t mode) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return InternalError("stat " + path + ": " + std::strerror(errno));
  }
  if ((info.st_mode & 0777 & ~mode) == 0) return Status::Ok();
  if (::chmod(path.c_str(), mode) != 0)
    return PermissionDeniedError(
        path + " can be read by others, and cannot be made private: " + std::strerror(errno));
  std::fprintf(stderr, "quartet: %s could be read by others (%03o); now %03o, its owner's alone\n",
               path.c_str(), static_cast<unsigned>(info.st_mode & 0777),
               static_cast<unsigned>(mode));
  return Status::Ok();
}

// Creates `path` empty with `mode` unless it exists, so that SQLite, which gives its -wal and -shm
// files the database's mode, never makes them readable by others.
Status CreatePrivately(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return InternalError("open " + path + ": " + std::strerror(errno));
  ::close(fd);
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<DataFolder>> DataFolder::Open(const std::string& path) {
  // A folder made here is private from the start; one found wider is narrowed, and said so.
  for (const std::string& folder : {path, path + "/keys"}) {
    if (::access(folder.c_str(), F_OK) != 0) {
      RETURN_IF_ERROR(FileSystem::Posix().CreateDirectories(folder));
      ::chmod(folder.c_str(), 0700);
    }
    RETURN_IF_ERROR(KeepPrivate(folder, 0700));
  }
  RETURN_IF_ERROR(FileSystem::Posix().CreateDirectories(path + "/logs"));
  for (const char* database : {"quartet.db", "index.db"}) {
    const std::string file = path + "/" + database;
    RETURN_IF_ERROR(CreatePrivately(file));
    for (const char* suffix : {"", "-wal", "-shm"})
      RETURN_IF_ERROR(KeepPrivate(file + suffix, 0600));
  }
  ASSIGN_OR_RETURN(auto logs, SqliteLogStore::Open(path + "/quartet.db"));
  return std::unique_ptr<DataFolder>(new DataFolder(path, std::move(logs)));
}

StatusOr<std::string> DataFolder::InitLog(const std::string& tenant, const std::string& origin,
                                          Random& random) {
  if (!ledger::IsValidTenant(tenant)) {
    return InvalidArgumentError("tenant must match [a-z0-9][a-z0-9-]{0,62}");
  }
  if (logs_->GetLog(tenant).ok()) {
    return AlreadyExistsError("tenant '" + tenant + "' already has a log");
  }
  ASSIGN_OR_RETURN(auto signer,
                   ledger::NoteSigner::Generate(origin, ledger::SignatureType::kEd25519, random));
  // The key is written (0600, durably) before the log exists, so a log never lacks its key.
  const std::string key_path = KeyPath(tenant);
  RETURN_IF_ERROR(WriteSecretFile(key_path, signer.SignerKeyString() + "\n"));
  RETURN_IF_ERROR(logs_->CreateLog({tenant, origin, signer.VerifierKeyString(), ""}));
  return signer.VerifierKeyString();
}

StatusOr<ledger::NoteSigner> DataFolder::LogSigner(const std::string& tenant) {
  RETURN_IF_ERROR(logs_->GetLog(tenant).status());
  auto contents = fs().ReadFile(KeyPath(tenant));
  if (!contents.ok()) return contents.status().WithContext("signing key of log '" + tenant + "'");
  std::string_view key = *contents;
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.remove_suffix(1);
  auto signer = ledger::NoteSigner::Parse(key);
  if (!signer.ok()) return DataLossError("the signing key file of log '" + tenant + "' is corrupt");
  return signer;
}

StatusOr<std::unique_ptr<FileLock>> DataFolder::LockIntegration(FileLock::Wait wait) {
  return FileLock::Acquire(path_ + "/integrate.lock", wait);
}

std::string DefaultOrigin(const std::string& tenant) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "localhost");
  return std::string(host) + "/logs/" + tenant;
}

}  // namespace quartet::store
