#include "sim-common/watched_file.h"

#include <fstream>
#include <sstream>

namespace herald::sim {

WatchedFile::Change WatchedFile::poll(std::string* content, int64_t* mtime_ms) {
  struct stat st = {};
  if (::stat(path_.c_str(), &st) != 0) {
    size_ = -1;
    return Change::gone;
  }
  if (st.st_mtim.tv_sec == mtime_.tv_sec && st.st_mtim.tv_nsec == mtime_.tv_nsec &&
      st.st_size == size_) {
    return Change::none;
  }
  std::ifstream in(path_, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  *content = text.str();
  *mtime_ms = int64_t(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
  mtime_ = st.st_mtim;
  size_ = st.st_size;
  return Change::updated;
}

}  // namespace herald::sim
