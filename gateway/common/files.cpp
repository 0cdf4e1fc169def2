#include "gateway/common/files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

namespace oncegate::common {

std::string read_file(const std::filesystem::path& file, const char* what) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw FileError(std::string("cannot read ") + what + " '" + file.string() + "'");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file_atomically(const std::filesystem::path& file, const std::string& content, bool secret) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  const auto temp = file.string() + ".tmp";
  ::unlink(temp.c_str());
  // Created with its final mode (never briefly world-readable), synced before it replaces the
  // old file, so a crash leaves either the old or the new content.
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, secret ? 0600 : 0644);
  if (fd < 0) throw FileError("cannot create '" + temp + "'");
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n <= 0) {
      ::close(fd);
      throw FileError("cannot write '" + temp + "'");
    }
    written += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) throw FileError("cannot sync '" + temp + "'");
  std::filesystem::rename(temp, file);
}

std::string without_line_end(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string read_secret_file(const std::filesystem::path& file, const char* what) {
  std::error_code ec;
  const auto permissions = std::filesystem::status(file, ec).permissions();
  if (!ec && (permissions & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) != std::filesystem::perms::none) {
    throw FileError(std::string(what) + " '" + file.string() + "' is open to other users: chmod 600 it");
  }
  return read_file(file, what);
}

}  // namespace oncegate::common
