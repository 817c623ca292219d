#include "base/file_system.h"

namespace quartet {

std::string ParentDirectory(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status WriteFileAtomically(FileSystem& fs, const std::string& path, std::string_view contents) {
  const std::string temporary = path + ".tmp";
  {
    ASSIGN_OR_RETURN(auto file, fs.NewWritableFile(temporary));
    RETURN_IF_ERROR(file->Append(contents));
    RETURN_IF_ERROR(file->Sync());
    RETURN_IF_ERROR(file->Close());
  }
  RETURN_IF_ERROR(fs.Rename(temporary, path));
  return fs.SyncDirectory(ParentDirectory(path));
}

Status WriteSecretFile(FileSystem& fs, const std::string& path, std::string_view contents) {
  const std::string temporary = path + ".tmp";
  // A temporary file that a crash left behind was never linked into place: nobody relies on it.
  if (fs.FileExists(temporary)) RETURN_IF_ERROR(fs.RemoveFile(temporary));
  Status written = Status::Ok();
  {
    ASSIGN_OR_RETURN(auto file, fs.NewPrivateFile(temporary));
    written = file->Append(contents);
    if (written.ok()) written = file->Sync();
    if (written.ok()) written = file->Close();
  }
  if (!written.ok()) {
    (void)fs.RemoveFile(temporary);
    return written;
  }
  // Linked, not renamed: link(2) fails if `path` exists, where rename(2) would replace it.
  const Status linked = fs.Link(temporary, path);
  if (!linked.ok()) {
    (void)fs.RemoveFile(temporary);
    if (linked.code() == StatusCode::kAlreadyExists)
      return AlreadyExistsError(path + " exists already");
    return linked;
  }
  RETURN_IF_ERROR(fs.SyncDirectory(ParentDirectory(path)));
  // The secret is in place. Its temporary second name goes; should that fail, or a crash bring it
  // back, the next write of the secret removes it.
  (void)fs.RemoveFile(temporary);
  return Status::Ok();
}

Status WriteSecretFile(const std::string& path, std::string_view contents) {
  return WriteSecretFile(FileSystem::Posix(), path, contents);
}

}  // namespace quartet
