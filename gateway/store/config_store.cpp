#include "gateway/store/config_store.hpp"

#include <charconv>

namespace oncegate::store {

namespace {

// KEYS[1] version, KEYS[2] document; ARGV[1] the expected version, ARGV[2] the document.
constexpr const char* kCompareAndSet = R"lua(
local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
if stored ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], stored + 1)
return stored + 1
)lua";

std::optional<std::uint64_t> number(const Reply& reply) {
  if (reply.kind == Reply::Kind::nil) return 0;
  if (reply.kind == Reply::Kind::integer) return reply.integer < 0 ? std::nullopt : std::optional<std::uint64_t>(reply.integer);
  if (reply.kind != Reply::Kind::bulk) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(reply.text.data(), reply.text.data() + reply.text.size(), value);
  if (error != std::errc() || end != reply.text.data() + reply.text.size()) return std::nullopt;
  return value;
}

}  // namespace

SharedConfigStore::SharedConfigStore(std::shared_ptr<RedisClient> client, std::string key_prefix)
    : client_(std::move(client)), version_key_(key_prefix + "config:version"), document_key_(key_prefix + "config:document"),
      nodes_key_(key_prefix + "nodes") {}

void SharedConfigStore::publish(std::uint64_t expected, std::string document,
                                std::function<void(std::optional<std::uint64_t>)> then) {
  client_->command({"EVAL", kCompareAndSet, "2", version_key_, document_key_, std::to_string(expected), std::move(document)},
                   [then = std::move(then)](std::optional<Reply> reply) {
                     if (!reply || reply->kind != Reply::Kind::integer) return then(std::nullopt);
                     then(number(*reply));
                   });
}

void SharedConfigStore::version(std::function<void(std::optional<std::uint64_t>)> then) {
  client_->command({"GET", version_key_}, [then = std::move(then)](std::optional<Reply> reply) {
    if (!reply) return then(std::nullopt);
    then(number(*reply));
  });
}

void SharedConfigStore::fetch(std::function<void(std::optional<StoredDocument>)> then) {
  // MGET reads both at one point in time (Redis runs one command at a time).
  client_->command({"MGET", version_key_, document_key_}, [then = std::move(then)](std::optional<Reply> reply) {
    if (!reply || reply->kind != Reply::Kind::array || reply->elements.size() != 2) return then(std::nullopt);
    const auto version = number(reply->elements[0]);
    if (!version) return then(std::nullopt);
    StoredDocument out{*version, reply->elements[1].kind == Reply::Kind::bulk ? reply->elements[1].text : std::string()};
    if (out.version != 0 && out.document.empty()) return then(std::nullopt);  // a version without its document
    then(std::move(out));
  });
}

void SharedConfigStore::report(const std::string& node, std::string report) {
  client_->command({"HSET", nodes_key_, node, std::move(report)}, [](std::optional<Reply>) {});
}

void SharedConfigStore::reports(std::function<void(std::optional<std::map<std::string, std::string>>)> then) {
  client_->command({"HGETALL", nodes_key_}, [then = std::move(then)](std::optional<Reply> reply) {
    if (!reply || reply->kind != Reply::Kind::array || reply->elements.size() % 2 != 0) return then(std::nullopt);
    std::map<std::string, std::string> out;
    for (std::size_t i = 0; i + 1 < reply->elements.size(); i += 2) out[reply->elements[i].text] = reply->elements[i + 1].text;
    then(std::move(out));
  });
}

}  // namespace oncegate::store
