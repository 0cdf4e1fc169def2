#pragma once
// Whole-file reading and crash-safe writing. Thread safety: free functions; concurrent writers of
// one file must coordinate themselves.

#include <filesystem>
#include <stdexcept>
#include <string>

namespace oncegate::common {

class FileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The whole file. Throws FileError "cannot read <what> '<file>'".
[[nodiscard]] std::string read_file(const std::filesystem::path& file, const char* what = "file");

// A secret's file: as read_file, but refused (FileError naming the chmod) when its group or others
// may read, write or run it.
[[nodiscard]] std::string read_secret_file(const std::filesystem::path& file, const char* what);

// A secret as it is written into its file by hand or by `echo`: without the trailing line end
// (and spaces).
[[nodiscard]] std::string without_line_end(std::string text);

// Writes `content` to a temporary file beside `file` (created with its final mode: 0600 when
// `secret`, else 0644), fsyncs it and renames it over `file`: a crash leaves the old or the new
// content, never a mix. Creates missing parent directories. Throws FileError.
void write_file_atomically(const std::filesystem::path& file, const std::string& content, bool secret);

}  // namespace oncegate::common
