#include "gateway/admin/admin_api.hpp"
#include "gateway/common/files.hpp"
#include "gateway/common/url.hpp"
#include "gateway/crypto/crypto.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include "gateway/oplog/oplog.hpp"

namespace oncegate::admin {

namespace json = boost::json;

std::vector<ApiKey> load_api_keys(const std::filesystem::path& file) {
  // Hashes only, but who may change the gateway is nobody else's business.
  return parse_api_keys(common::read_secret_file(file, "admin keys file"), file);
}

std::vector<ApiKey> parse_api_keys(const std::string& text, const std::filesystem::path& file) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) throw std::runtime_error("admin keys file '" + file.string() + "' is not a JSON array");
  std::vector<ApiKey> keys;
  for (const auto& entry : v.as_array()) {
    const auto* o = entry.if_object();
    const auto* name = o ? o->if_contains("name") : nullptr;
    const auto* role = o ? o->if_contains("role") : nullptr;
    const auto* hash = o ? o->if_contains("sha256") : nullptr;
    if (!name || !role || !hash || !name->is_string() || !role->is_string() || !hash->is_string() ||
        (role->as_string() != "admin" && role->as_string() != "observer") || hash->as_string().size() != 64) {
      throw std::runtime_error("admin keys file: every entry needs name, role (admin|observer) and a SHA-256 hex hash");
    }
    keys.push_back({std::string(name->as_string()), std::string(role->as_string()), std::string(hash->as_string())});
  }
  return keys;
}

void ensure_demo_api_keys(const std::filesystem::path& demo_directory, const std::filesystem::path& keys_file) {
  if (std::filesystem::exists(keys_file)) return;
  json::array entries;
  for (const char* role : {"admin", "observer"}) {
    const std::string key = "og_" + std::string(role) + "_" + crypto::random_hex(24);
    common::write_file_atomically(demo_directory / (std::string(role) + "-api-key"), key + "\n", true);
    entries.push_back(json::object{{"name", std::string("demo-") + role}, {"role", role}, {"sha256", crypto::sha256_hex(key)}});
  }
  common::write_file_atomically(keys_file, json::serialize(entries) + "\n", true);
}

}  // namespace oncegate::admin
