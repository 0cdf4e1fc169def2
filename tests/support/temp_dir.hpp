#pragma once
// Test support without the gateway: a temporary directory removed afterwards, and whole-file
// reading. Unit tests of single modules link only this.

#include <filesystem>
#include <string>

namespace oncegate::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

// Reads a whole file (test material). Throws std::runtime_error.
[[nodiscard]] std::string read_text(const std::filesystem::path& file);

}  // namespace oncegate::testing
