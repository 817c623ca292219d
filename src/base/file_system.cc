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

}  // namespace quartet
