#pragma once
// Plain HTTP request/response values and the router that modules register their routes with.
// Kept free of Boost.Beast so that handler modules (exchange, datacockpit, admin) stay light.
//
// Thread safety: a Router is filled before the server starts and read-only afterwards.

#include <functional>
#include <map>
#include <memory>
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
  std::string listener;                // listener name, e.g. "evidence"
  // SHA-256 (lower-case hex) of the client certificate's DER form, when one was presented and
  // verified against the listener's client CA; empty otherwise.
  std::string peer_certificate_fingerprint;
};

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
};

// Turns a failure into a response in the listener's message family (XML, JSON, ...).
using FailureRenderer = std::function<HttpResponse(HttpFailure failure)>;

class Router {
 public:
  // Exact path. Adding the same method and path twice throws std::logic_error.
  void add(std::string method, std::string path, Handler handler);
  // Every path that starts with `prefix` (longest prefix wins), for static files and APIs.
  void add_prefix(std::string method, std::string prefix, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null when no route
    bool path_known = false;           // the path exists for another method
  };
  [[nodiscard]] Match find(std::string_view method, std::string_view path) const;

 private:
  std::map<std::pair<std::string, std::string>, Handler, std::less<>> exact_;
  std::vector<std::tuple<std::string, std::string, Handler>> prefixes_;  // method, prefix, handler
};

}  // namespace oncegate::net
