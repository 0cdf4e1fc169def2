#pragma once
// Plain HTTP request/response values and the router that modules register their routes with.
// Kept free of Boost.Beast so that handler modules (exchange, datacockpit, admin) stay light.
//
// Thread safety: a Router is filled before the server starts and read-only afterwards.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

namespace oncegate::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as sent
  std::string path;    // target without the query
  std::string query;   // after '?', may be empty
  std::vector<std::pair<std::string, std::string>> headers;  // names lower case
  std::string body;

  // The first header of that (lower-case) name, or empty.
  [[nodiscard]] std::string_view header(std::string_view lower_case_name) const noexcept;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// Facts about the connection a request arrived on.
struct ConnectionInfo {
  std::string peer_address;            // "127.0.0.1:53122"
  std::string source;                  // what the abuse limits count: "127.0.0.1", or an IPv6 /64
  std::string listener;                // listener name, e.g. "evidence"
  // SHA-256 (lower-case hex) of the client certificate's DER form, when one was presented and
  // verified against the listener's client CA; empty otherwise.
  std::string peer_certificate_fingerprint;
};

// A JSON answer: `serialized` with a newline, as application/json.
[[nodiscard]] HttpResponse json_text_response(unsigned status, std::string serialized);

// True when a Content-Type value names exactly this media type (type/subtype, case-insensitive),
// with or without parameters: "application/xml; charset=utf-8" is application/xml,
// "text/plain;x=xml" and "application/xml-dtd" are not.
[[nodiscard]] bool media_type_is(std::string_view content_type, std::string_view media_type) noexcept;

// Calls the connection back with the response. Call exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;

// `executor` is the connection's strand: work posted there is serialised with the connection.
using Handler = std::function<void(HttpRequest request, const ConnectionInfo& connection,
                                   boost::asio::any_io_executor executor, Responder respond)>;

// Failures the connection layer answers by itself, before or instead of a handler.
enum class HttpFailure {
  bad_request,         // malformed HTTP
  header_too_large,    // header block over the limit
  body_too_large,      // body over the limit
  not_found,           // no route for the path
  method_not_allowed,  // a route for the path, but not for this method
  shutting_down,       // the server is stopping
  internal_error,      // a handler failed (a defect; details in the operator log)
  not_implemented,     // a transfer coding other than chunked (gzip, chunked)
  expectation_failed,  // an Expect other than 100-continue
  rate_limited,        // over the request rate of the source or the party (abuse limits)
};

// The HTTP status of a failure: 400, 431, 413, 404, 405, 503, 500, 501, 417, 429.
[[nodiscard]] unsigned http_status(HttpFailure failure) noexcept;
// A short English text for it, the same on every listener.
[[nodiscard]] std::string_view describe(HttpFailure failure) noexcept;

// Decides on a request from its header alone, before a byte of its body is read: who is on the
// connection, whether the media type is one the route takes. A response refuses the request (the
// body is never read; the connection closes after the answer); nullopt admits it. Runs on the
// connection's strand; must be fast and must not block.
using Admission = std::function<std::optional<HttpResponse>(const HttpRequest& head, const ConnectionInfo& connection)>;

// Turns a failure into a response in the listener's message family (XML, JSON, ...).
using FailureRenderer = std::function<HttpResponse(HttpFailure failure)>;

class Router {
 public:
  struct Route {
    Handler handler;
    Admission admit;  // may be empty: every request is admitted
    // Failures of requests to this route in the route's own message family (the EU endpoint
    // answers EDM errors); empty: the listener's renderer.
    FailureRenderer render;
  };

  // Exact path. Adding the same method and path twice throws std::logic_error. `admit`, when set,
  // sees the header first (see Admission).
  void add(std::string method, std::string path, Handler handler, Admission admit = {}, FailureRenderer render = {});
  // Every path that starts with `prefix` (longest prefix wins), for static files and APIs.
  void add_prefix(std::string method, std::string prefix, Handler handler, Admission admit = {});

  struct Match {
    const Route* route = nullptr;  // null when no route
    bool path_known = false;       // the path exists for another method
  };
  [[nodiscard]] Match find(std::string_view method, std::string_view path) const;
  // Every route as "METHOD /path" (a prefix route ends in "*"), sorted by path: for an index page.
  [[nodiscard]] std::vector<std::string> endpoints() const;

  // An admission every request on this router passes first, for every route (and before any
  // route's own): who may speak on this listener at all. Default: none.
  void admit_all(Admission admit) { admit_all_ = std::move(admit); }
  [[nodiscard]] const Admission& admission() const noexcept { return admit_all_; }

 private:
  Admission admit_all_;
  std::map<std::pair<std::string, std::string>, Route, std::less<>> exact_;
  std::vector<std::tuple<std::string, std::string, Route>> prefixes_;  // method, prefix, route
};

}  // namespace oncegate::net
