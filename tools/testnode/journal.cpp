#include "journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace miroir::testnode {
namespace {

Error IoError(const std::string& what) {
  return Error(ErrorCode::kInternal, what + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<Journal>> Journal::Open(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return IoError("cannot create db path " + dir);
  }
  std::string path = dir + "/journal.ndjson";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot open " + path);
  return std::unique_ptr<Journal>(new Journal(path, fd));
}

Journal::~Journal() { ::close(fd_); }

Result<void> Journal::Replay(const std::function<void(const nlohmann::ordered_json&)>& fn) {
  std::lock_guard lock(mu_);
  std::ifstream in(path_, std::ios::binary);
  std::string line;
  off_t good_end = 0;
  off_t offset = 0;
  while (std::getline(in, line)) {
    const bool complete = !in.eof();  // getline hit a '\n'
    offset += static_cast<off_t>(line.size()) + (complete ? 1 : 0);
    if (!complete) break;
    auto record = nlohmann::ordered_json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (record.is_discarded()) break;
    fn(record);
    good_end = offset;
  }
  if (::ftruncate(fd_, good_end) != 0) return IoError("cannot truncate " + path_);
  return {};
}

Result<void> Journal::Append(const nlohmann::ordered_json& record) {
  std::string line = record.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  line.push_back('\n');
  std::lock_guard lock(mu_);
  size_t written = 0;
  while (written < line.size()) {
    ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot append to " + path_);
    }
    written += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace miroir::testnode
