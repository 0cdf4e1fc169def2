#pragma once
// An HTTP/1.1 message parser that never throws and refuses framing that RFC 9112 calls faulty or
// that could be read two ways by two parties (request smuggling). Used for every request the
// gateway's listeners read and every answer a remote register sends, in place of Beast's
// `http::parser`, whose field storage throws `std::length_error` on a field value over 64 KiB.
//
// What it refuses, with an error of `framing_category()`:
//   - any trailer field (fields after a chunked body): nobody we talk to needs them;
//   - a field name or value longer than `max_field_size` (default and maximum 65,000 bytes, below
//     what Beast's field storage can hold);
//   - Transfer-Encoding without `chunked`, with `chunked` twice or not last (400), or with
//     another coding before `chunked` (501), or in an HTTP/1.0 message;
//   - for requests: HTTP/1.1 without Host, more than one Host, an Expect other than 100-continue.
// Beast's own checks stay in force (Content-Length with Transfer-Encoding, malformed numbers,
// header and body limits set on the parser).
//
// Thread safety: one parser per message, used by one connection at a time.

#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>

namespace oncegate::net {

enum class FramingError {
  trailer_refused = 1,          // 400
  field_too_large,              // 431 for requests
  transfer_coding_invalid,      // 400: no chunked, chunked twice or not last, HTTP/1.0
  transfer_coding_unsupported,  // 501: a coding before chunked (gzip, chunked)
  host_missing,                 // 400
  host_repeated,                // 400
  expectation_unsupported,      // 417
  out_of_memory,                // 500
};

[[nodiscard]] const boost::system::error_category& framing_category() noexcept;
[[nodiscard]] boost::system::error_code make_error_code(FramingError error) noexcept;

// Largest field name or value the parser accepts: Beast stores field lengths in 16 bits.
inline constexpr std::size_t kMaxFieldSize = 65'000;

namespace detail {
// The Transfer-Encoding list of one message (all its fields joined), judged once the header is
// complete: 0 when absent or exactly "chunked", else the refusal.
[[nodiscard]] int judge_transfer_codings(std::string_view joined) noexcept;
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;
}  // namespace detail

template <bool isRequest>
class BoundedParser final : public boost::beast::http::basic_parser<isRequest> {
 public:
  using message_type = boost::beast::http::message<isRequest, boost::beast::http::string_body>;

  explicit BoundedParser(std::size_t max_field_size = kMaxFieldSize)
      : max_field_size_(max_field_size < kMaxFieldSize ? max_field_size : kMaxFieldSize) {}

  [[nodiscard]] message_type& get() noexcept { return message_; }
  [[nodiscard]] const message_type& get() const noexcept { return message_; }
  [[nodiscard]] message_type release() noexcept { return std::move(message_); }
  // The request carried `Expect: 100-continue` (answer 100 before reading the body).
  [[nodiscard]] bool expects_continue() const noexcept { return expects_continue_; }

 private:
  using error_code = boost::system::error_code;
  using field = boost::beast::http::field;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb method, string_view method_string, string_view target, int version,
                       error_code& ec) override {
    if constexpr (isRequest) {
      try {
        message_.method(method);
        if (method == boost::beast::http::verb::unknown) message_.method_string(method_string);
        message_.target(target);
        message_.version(version);
      } catch (const std::exception&) {
        ec = make_error_code(FramingError::field_too_large);
      }
    }
  }

  void on_response_impl(int code, string_view reason, int version, error_code& ec) override {
    if constexpr (!isRequest) {
      try {
        message_.result(static_cast<unsigned>(code));
        message_.version(version);
        message_.reason(reason);
      } catch (const std::exception&) {
        ec = make_error_code(FramingError::field_too_large);
      }
    }
  }

  void on_field_impl(field name, string_view name_string, string_view value, error_code& ec) override {
    if (this->is_header_done()) {
      ec = make_error_code(FramingError::trailer_refused);
      return;
    }
    if (name_string.size() > max_field_size_ || value.size() > max_field_size_) {
      ec = make_error_code(FramingError::field_too_large);
      return;
    }
    if (name == field::transfer_encoding) {
      if (!transfer_codings_.empty()) transfer_codings_ += ',';
      transfer_codings_.append(value.data(), value.size());
      saw_transfer_encoding_ = true;
    } else if (name == field::host) {
      if (++hosts_ > 1) {
        ec = make_error_code(FramingError::host_repeated);
        return;
      }
    } else if (name == field::expect && isRequest) {
      if (!detail::iequals(std::string_view(value.data(), value.size()), "100-continue")) {
        ec = make_error_code(FramingError::expectation_unsupported);
        return;
      }
      expects_continue_ = true;
    }
    try {
      message_.insert(name, name_string, value);
    } catch (const std::length_error&) {
      ec = make_error_code(FramingError::field_too_large);
    } catch (const std::bad_alloc&) {
      ec = make_error_code(FramingError::out_of_memory);
    }
  }

  void on_header_impl(error_code& ec) override {
    if (saw_transfer_encoding_) {
      if (message_.version() < 11) {
        ec = make_error_code(FramingError::transfer_coding_invalid);
        return;
      }
      if (const int refusal = detail::judge_transfer_codings(transfer_codings_); refusal != 0) {
        ec = make_error_code(static_cast<FramingError>(refusal));
        return;
      }
      // Our reading and Beast's must agree that the body is chunked; if they differ the stream
      // could be read two ways.
      if (!this->chunked()) {
        ec = make_error_code(FramingError::transfer_coding_invalid);
        return;
      }
    }
    if constexpr (isRequest) {
      if (message_.version() >= 11 && hosts_ == 0) ec = make_error_code(FramingError::host_missing);
    }
  }

  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, error_code& ec) override {
    // Content-Length is already checked against the body limit by basic_parser.
    if (!content_length) return;
    try {
      message_.body().reserve(static_cast<std::size_t>(*content_length));
    } catch (const std::exception&) {
      ec = make_error_code(FramingError::out_of_memory);
    }
  }

  std::size_t on_body_impl(string_view body, error_code& ec) override { return append(body, ec); }

  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}

  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override { return append(body, ec); }

  void on_finish_impl(error_code&) override {}

  std::size_t append(string_view body, error_code& ec) {
    try {
      message_.body().append(body.data(), body.size());
    } catch (const std::exception&) {
      ec = make_error_code(FramingError::out_of_memory);
      return 0;
    }
    return body.size();
  }

  message_type message_;
  std::size_t max_field_size_;
  std::string transfer_codings_;
  bool saw_transfer_encoding_ = false;
  unsigned hosts_ = 0;
  bool expects_continue_ = false;
};

using BoundedRequestParser = BoundedParser<true>;
using BoundedResponseParser = BoundedParser<false>;

}  // namespace oncegate::net

template <>
struct boost::system::is_error_code_enum<oncegate::net::FramingError> : std::true_type {};
