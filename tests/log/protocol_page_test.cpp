// The DSC's protocol pages between the nodes of a cluster: the JSON read back exactly, and a
// peer's page refused whole when any part of it is not what a node writes; the merge of several
// logs' pages newest first; the cursor over the nodes.

#include <gtest/gtest.h>

#include "gateway/log/protocol_page.hpp"

namespace oncegate::log {
namespace {

ProtocolPage sample() {
  ProtocolPage page;
  page.node = "node-1";
  page.origin = "oncegate.test/log";
  page.vkey = "oncegate.test/log+01234567+AQ==";
  page.witness_vkeys = {"w+89abcdef+BA=="};
  page.witness_quorum = 1;
  page.checkpoints[9] = "oncegate.test/log\n9\nAAAA\n\n— oncegate.test/log AAAA\n";
  page.entries.push_back({8, 2000, "{\"a\":1}", ProtocolProof{std::string(64, 'a'), "01" + std::string(64, 'b'), 9, {std::string(64, 'c')}}});
  page.entries.push_back({3, 1000, "{\"a\":2}", std::nullopt});
  page.next_before = 3;
  page.withheld["§ 161 StPO"] = 2;
  return page;
}

TEST(ProtocolPage, TheJsonIsReadBackExactly) {
  const auto page = sample();
  const auto back = parse_protocol_page(protocol_page_json(page), 100);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->node, "node-1");
  EXPECT_EQ(back->origin, page.origin);
  EXPECT_EQ(back->vkey, page.vkey);
  EXPECT_EQ(back->witness_vkeys, page.witness_vkeys);
  EXPECT_EQ(back->witness_quorum, 1u);
  EXPECT_EQ(back->checkpoints, page.checkpoints);
  ASSERT_EQ(back->entries.size(), 2u);
  EXPECT_EQ(back->entries[0].record, "{\"a\":1}");
  ASSERT_TRUE(back->entries[0].proof.has_value());
  EXPECT_EQ(back->entries[0].proof->path_hex, page.entries[0].proof->path_hex);
  EXPECT_FALSE(back->entries[1].proof.has_value());
  EXPECT_EQ(back->next_before, 3u);
  EXPECT_EQ(back->withheld, page.withheld);
}

TEST(ProtocolPage, APeersPageIsRefusedWholeWhenAnyPartIsWrong) {
  const std::string good = protocol_page_json(sample());
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
  };
  EXPECT_FALSE(parse_protocol_page("[]", 100));
  EXPECT_FALSE(parse_protocol_page("{", 100));
  EXPECT_FALSE(parse_protocol_page(good, 1));  // more entries than the page may have
  EXPECT_FALSE(parse_protocol_page(with("oncegate-protocol-page/1", "oncegate-protocol-page/2"), 100));
  EXPECT_FALSE(parse_protocol_page(with("\"number\":3", "\"number\":9"), 100));        // not newest first
  EXPECT_FALSE(parse_protocol_page(with("\"number\":3", "\"number\":-3"), 100));
  EXPECT_FALSE(parse_protocol_page(with("\"tree_size\":9", "\"tree_size\":10"), 100)); // no such checkpoint
  EXPECT_FALSE(parse_protocol_page(with(std::string(64, 'a'), std::string(62, 'a')), 100));  // salt length
  EXPECT_FALSE(parse_protocol_page(with(std::string(64, 'c'), std::string(64, 'x')), 100));  // path not hex
  EXPECT_FALSE(parse_protocol_page(with("\"next_before\":3", "\"next_before\":\"3\""), 100));
  EXPECT_FALSE(parse_protocol_page(with("\"count\":2", "\"count\":true"), 100));
  EXPECT_TRUE(parse_protocol_page(good, 2));
}

TEST(ProtocolPage, PagesOfSeveralLogsMergeNewestFirstEachInItsOwnOrder) {
  std::vector<ProtocolPage> pages(3);
  pages[0].entries = {{9, 500, "", {}}, {4, 100, "", {}}};
  pages[1].entries = {{7, 400, "", {}}, {6, 400, "", {}}, {2, 50, "", {}}};
  pages[2].entries = {{1, 400, "", {}}};
  const auto order = merge_newest_first(pages, 10);
  const std::vector<std::pair<std::size_t, std::size_t>> expected{{0, 0}, {1, 0}, {1, 1}, {2, 0}, {0, 1}, {1, 2}};
  EXPECT_EQ(order, expected);  // equal times: the earlier page first
  EXPECT_EQ(merge_newest_first(pages, 3).size(), 3u);
  EXPECT_TRUE(merge_newest_first({}, 3).empty());
}

TEST(ProtocolPage, TheCursorOverTheNodesIsReadBackAndRefusedWhenMalformed) {
  const auto cursor = parse_node_cursor("node-1:17,node-2:end,node-3:top,host:1:4");
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->at("node-1").before(), 17u);
  EXPECT_EQ(cursor->at("node-2").kind, NodePlace::Kind::end);
  EXPECT_EQ(cursor->at("node-3").kind, NodePlace::Kind::top);
  EXPECT_EQ(cursor->at("host:1").before(), 4u);  // the place is after the last colon
  EXPECT_EQ(node_cursor_text(*cursor), "host:1:4,node-1:17,node-2:end,node-3:top");
  EXPECT_TRUE(node_cursor_continues(*cursor));
  EXPECT_FALSE(node_cursor_continues(*parse_node_cursor("a:end,b:end")));
  EXPECT_TRUE(parse_node_cursor("")->empty());
  for (const char* bad : {"a", ":1", "a:", "a:x", "a:1,a:2", "a:-1", "a:1x"}) EXPECT_FALSE(parse_node_cursor(bad)) << bad;
}

}  // namespace
}  // namespace oncegate::log
