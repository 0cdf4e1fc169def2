#include "gateway/store/resp.hpp"

#include <charconv>

namespace oncegate::store {

void append_command(std::string& out, const std::vector<std::string_view>& arguments) {
  out += '*';
  out += std::to_string(arguments.size());
  out += "\r\n";
  for (const auto argument : arguments) {
    out += '$';
    out += std::to_string(argument.size());
    out += "\r\n";
    out += argument;
    out += "\r\n";
  }
}

namespace {

class Reader {
 public:
  Reader(std::string_view buffer, const ReplyLimits& limits) : buffer_(buffer), limits_(limits) {}

  // complete: *out filled, position advanced past it.
  ReadResult::Status read(Reply& out, std::size_t depth) {
    if (position_ >= buffer_.size()) return ReadResult::Status::incomplete;
    const char type = buffer_[position_];
    std::string_view line;
    if (const auto status = line_after_type(line); status != ReadResult::Status::complete) return status;
    switch (type) {
      case '+':
        out.kind = Reply::Kind::status;
        out.text.assign(line);
        return ReadResult::Status::complete;
      case '-':
        out.kind = Reply::Kind::error;
        out.text.assign(line);
        return ReadResult::Status::complete;
      case ':': {
        const auto value = number(line);
        if (!value) return ReadResult::Status::malformed;
        out.kind = Reply::Kind::integer;
        out.integer = *value;
        return ReadResult::Status::complete;
      }
      case '$': {
        const auto length = number(line);
        if (!length || *length < -1) return ReadResult::Status::malformed;
        if (*length == -1) {
          out.kind = Reply::Kind::nil;
          return ReadResult::Status::complete;
        }
        const auto size = static_cast<std::size_t>(*length);
        if (size > limits_.max_bulk) return ReadResult::Status::malformed;
        if (buffer_.size() - position_ < size + 2) return ReadResult::Status::incomplete;
        if (buffer_.compare(position_ + size, 2, "\r\n") != 0) return ReadResult::Status::malformed;
        out.kind = Reply::Kind::bulk;
        out.text.assign(buffer_.substr(position_, size));
        position_ += size + 2;
        return ReadResult::Status::complete;
      }
      case '*': {
        const auto count = number(line);
        if (!count || *count < -1) return ReadResult::Status::malformed;
        if (*count == -1) {
          out.kind = Reply::Kind::nil;
          return ReadResult::Status::complete;
        }
        if (static_cast<std::size_t>(*count) > limits_.max_elements || depth >= limits_.max_depth) {
          return ReadResult::Status::malformed;
        }
        out.kind = Reply::Kind::array;
        out.elements.resize(static_cast<std::size_t>(*count));
        for (auto& element : out.elements) {
          if (const auto status = read(element, depth + 1); status != ReadResult::Status::complete) return status;
        }
        return ReadResult::Status::complete;
      }
      default:
        return ReadResult::Status::malformed;
    }
  }

  [[nodiscard]] std::size_t position() const noexcept { return position_; }

 private:
  // The text between the type byte and CRLF; the position moves past the CRLF.
  ReadResult::Status line_after_type(std::string_view& line) {
    static constexpr std::size_t kMaxLine = 64 * 1024;
    const auto end = buffer_.find("\r\n", position_ + 1);
    if (end == std::string_view::npos) {
      return buffer_.size() - position_ > kMaxLine ? ReadResult::Status::malformed : ReadResult::Status::incomplete;
    }
    if (end - position_ > kMaxLine) return ReadResult::Status::malformed;
    line = buffer_.substr(position_ + 1, end - position_ - 1);
    position_ = end + 2;
    return ReadResult::Status::complete;
  }

  static std::optional<std::int64_t> number(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
  }

  std::string_view buffer_;
  const ReplyLimits& limits_;
  std::size_t position_ = 0;
};

}  // namespace

ReadResult read_reply(std::string_view buffer, const ReplyLimits& limits) {
  Reader reader(buffer, limits);
  ReadResult result;
  result.status = reader.read(result.reply, 0);
  if (result.status == ReadResult::Status::complete) {
    result.consumed = reader.position();
  } else {
    result.reply = Reply{};
  }
  return result;
}

}  // namespace oncegate::store
