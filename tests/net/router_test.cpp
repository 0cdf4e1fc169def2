// The router and the HTTP helpers alone: exact routes before prefixes, the longest prefix wins,
// a known path with another method, duplicates refused; media types matched exactly; the
// Transfer-Encoding judgement.

#include <gtest/gtest.h>

#include "gateway/net/bounded_parser.hpp"
#include "gateway/net/http.hpp"

namespace oncegate::net {
namespace {

Handler named(std::string* out, std::string name) {
  return [out, name](HttpRequest, const ConnectionInfo&, boost::asio::any_io_executor, Responder) { *out = name; };
}

TEST(Router, ExactThenLongestPrefixAndMethods) {
  Router router;
  std::string called;
  router.add("POST", "/v1/nachweis", named(&called, "nachweis"));
  router.add_prefix("GET", "/cockpit/", named(&called, "static"));
  router.add_prefix("GET", "/cockpit/api/transfers/", named(&called, "detail"));
  router.add("GET", "/cockpit/api/transfers", named(&called, "list"));
  const auto call = [&](std::string_view method, std::string_view path) {
    called.clear();
    const auto match = router.find(method, path);
    if (match.route == nullptr) return std::string(match.path_known ? "405" : "404");
    match.route->handler({}, {}, {}, [](HttpResponse) {});
    return called;
  };
  EXPECT_EQ(call("POST", "/v1/nachweis"), "nachweis");
  EXPECT_EQ(call("GET", "/v1/nachweis"), "405");
  EXPECT_EQ(call("GET", "/v1/nachweis/"), "404");
  EXPECT_EQ(call("GET", "/cockpit/api/transfers"), "list");
  EXPECT_EQ(call("GET", "/cockpit/api/transfers/7"), "detail");
  EXPECT_EQ(call("GET", "/cockpit/app.js"), "static");
  EXPECT_EQ(call("DELETE", "/cockpit/app.js"), "405");
  EXPECT_EQ(call("GET", "/elsewhere"), "404");
  EXPECT_THROW(router.add("POST", "/v1/nachweis", named(&called, "again")), std::logic_error);
  EXPECT_THROW(router.add_prefix("GET", "/cockpit/", named(&called, "again")), std::logic_error);
}

TEST(Router, AdmissionsAreKeptWithTheirRoutes) {
  Router router;
  router.add("POST", "/x", [](HttpRequest, const ConnectionInfo&, boost::asio::any_io_executor, Responder) {},
             [](const HttpRequest&, const ConnectionInfo&) -> std::optional<HttpResponse> { HttpResponse r; r.status = 415; return r; });
  router.admit_all([](const HttpRequest&, const ConnectionInfo& c) -> std::optional<HttpResponse> {
    if (c.peer_certificate_fingerprint.empty()) {
      HttpResponse r;
      r.status = 403;
      return r;
    }
    return std::nullopt;
  });
  const auto match = router.find("POST", "/x");
  ASSERT_NE(match.route, nullptr);
  ASSERT_TRUE(match.route->admit);
  EXPECT_EQ(match.route->admit({}, {})->status, 415u);
  ConnectionInfo known;
  known.peer_certificate_fingerprint = "ab";
  EXPECT_EQ(router.admission()({}, {})->status, 403u);
  EXPECT_FALSE(router.admission()({}, known).has_value());
}

TEST(Http, MediaTypesMatchExactly) {
  EXPECT_TRUE(media_type_is("application/xml", "application/xml"));
  EXPECT_TRUE(media_type_is(" Application/XML ; charset=utf-8", "application/xml"));
  EXPECT_FALSE(media_type_is("text/plain;x=xml", "application/xml"));
  EXPECT_FALSE(media_type_is("application/xml-dtd", "application/xml"));
  EXPECT_FALSE(media_type_is("", "application/xml"));
  EXPECT_EQ(http_status(HttpFailure::not_implemented), 501u);
  EXPECT_EQ(http_status(HttpFailure::header_too_large), 431u);
}

TEST(Http, TransferCodingsAreJudgedAsOneList) {
  using detail::judge_transfer_codings;
  const int invalid = static_cast<int>(FramingError::transfer_coding_invalid);
  const int unsupported = static_cast<int>(FramingError::transfer_coding_unsupported);
  EXPECT_EQ(judge_transfer_codings("chunked"), 0);
  EXPECT_EQ(judge_transfer_codings(" Chunked "), 0);
  EXPECT_EQ(judge_transfer_codings("xchunked"), invalid);
  EXPECT_EQ(judge_transfer_codings("chunked, identity"), invalid);
  EXPECT_EQ(judge_transfer_codings("chunked,chunked"), invalid);
  EXPECT_EQ(judge_transfer_codings(";x, chunked"), invalid);
  EXPECT_EQ(judge_transfer_codings("chunked;a=b"), invalid);
  EXPECT_EQ(judge_transfer_codings("gzip, chunked"), unsupported);
  EXPECT_EQ(judge_transfer_codings("gzip;q=1,chunked"), unsupported);
  EXPECT_EQ(judge_transfer_codings(""), invalid);
}

}  // namespace
}  // namespace oncegate::net
