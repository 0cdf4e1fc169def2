#include "gateway/net/multipart.hpp"

#include <gtest/gtest.h>

namespace {

using oncegate::net::MimePart;
using oncegate::net::read_multipart;
using oncegate::net::write_multipart_related;

TEST(Multipart, WhatIsWrittenIsReadBackPartByPart) {
  const std::string binary("%PDF-1.4\r\n--not-the-boundary\r\n\0\x01\xff", 31);
  const auto written = write_multipart_related(
      {{"application/x-ebrs+xml; charset=UTF-8", "response@oncegate", "<query:QueryResponse/>"},
       {"application/pdf", "e1@evidence.oncegate", binary}},
      "b-1234");
  EXPECT_EQ(written.content_type,
            "multipart/related; type=\"application/x-ebrs+xml\"; start=\"<response@oncegate>\"; boundary=\"b-1234\"");
  const auto parts = read_multipart(written.body, written.content_type);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ(parts->at(0).content_type, "application/x-ebrs+xml; charset=UTF-8");
  EXPECT_EQ(parts->at(0).content_id, "response@oncegate");
  EXPECT_EQ(parts->at(0).body, "<query:QueryResponse/>");
  EXPECT_EQ(parts->at(1).content_id, "e1@evidence.oncegate");
  EXPECT_EQ(parts->at(1).body, binary);
}

TEST(Multipart, TheBoundaryMayBeUnquotedAndOtherHeadersAreIgnored) {
  const std::string body = "preamble\r\n--xyz\r\nX-Other: 1\r\ncontent-type: text/plain\r\n\r\nhello\r\n--xyz--\r\n";
  const auto parts = read_multipart(body, "Multipart/Related; type=text/plain; boundary=xyz");
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ(parts->at(0).content_type, "text/plain");
  EXPECT_EQ(parts->at(0).body, "hello");
}

TEST(Multipart, AnythingElseIsNoMultipart) {
  EXPECT_FALSE(read_multipart("<x/>", "application/xml"));
  EXPECT_FALSE(read_multipart("--a\r\n\r\nx\r\n--a--", "multipart/related"));                  // no boundary
  EXPECT_FALSE(read_multipart("no delimiter at all", "multipart/related; boundary=a"));
  EXPECT_FALSE(read_multipart("--a\r\nContent-Type: x\r\n\r\nunterminated", "multipart/related; boundary=a"));
  EXPECT_FALSE(read_multipart("--a\r\nheaders without end", "multipart/related; boundary=a"));
  EXPECT_FALSE(read_multipart("--a junk", "multipart/related; boundary=a"));
}

}  // namespace
