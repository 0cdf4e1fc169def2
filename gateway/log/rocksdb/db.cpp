#include "gateway/log/rocksdb/db.hpp"

#include <algorithm>
#include <stdexcept>

#include <rocksdb/env.h>
#include <rocksdb/listener.h>

#include "gateway/log/rocksdb/faulty_file_system.hpp"

namespace oncegate::log::rocksdb_backend {

std::string be64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  return out;
}

std::uint64_t read_be64(std::string_view s) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

std::string node_key(unsigned level, std::uint64_t index) { return std::string(1, static_cast<char>(level)) + be64(index); }

std::string tile_key(bool entries, unsigned tile_level, std::uint64_t index) {
  std::string key(1, entries ? 'e' : 'h');
  if (!entries) key += static_cast<char>(tile_level);
  key.append(be64(index));
  return key;
}

std::string index_key(const std::string& prefix, std::uint64_t sequence) {
  return prefix + std::string(1, '\0') + be64(sequence);
}

namespace {

const std::vector<std::string>& family_names() {
  static const std::vector<std::string> names{rocksdb::kDefaultColumnFamilyName, "records", "leaves", "nodes",
                                              "by_person", "by_authority", "heads", "salts", "entries", "tiles"};
  return names;
}

// The writer recovers the log itself (DB::Resume, then a synced probe write) as soon as the disk
// takes writes again. RocksDB's own recovery from a full disk polls free space every few seconds,
// which would keep the gateway refusing for that long after space returned.
class ManualRecovery final : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status bg_error, bool* auto_recovery) override {
    bg_error.PermitUncheckedError();
    *auto_recovery = false;
  }
};

}  // namespace

Db::~Db() {
  for (auto* handle : families) {
    if (db && handle != nullptr) (void)db->DestroyColumnFamilyHandle(handle);
  }
}

std::unique_ptr<Db> Db::open(const std::string& directory, bool read_only, std::shared_ptr<StorageFaults> faults) {
  auto out = std::make_unique<Db>();
  rocksdb::DBOptions options;
  if (faults) {
    out->env = rocksdb::NewCompositeEnv(faulty_file_system(std::move(faults)));
    options.env = out->env.get();
  }
  options.listeners.push_back(std::make_shared<ManualRecovery>());
  // All column families' memtables together stay under 64 MB (flushed when they reach it): without
  // it each of the seven may grow to 2 x 64 MB before its first flush, and the gateway's resident
  // memory rises for many minutes under load (bench/README.md, the soak).
  options.db_write_buffer_size = 64 << 20;
  options.create_if_missing = !read_only;
  options.create_missing_column_families = !read_only;
  // Read-only, a log written by an older version may lack the newer families: open those it has.
  std::vector<std::string> existing;
  if (read_only) (void)rocksdb::DB::ListColumnFamilies(options, directory, &existing);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < family_names().size(); ++i) {
    const auto& name = family_names()[i];
    if (read_only && !existing.empty() && std::find(existing.begin(), existing.end(), name) == existing.end()) continue;
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    positions.push_back(i);
  }
  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  const rocksdb::Status status =
      read_only ? rocksdb::DB::OpenForReadOnly(options, directory, descriptors, &handles, &raw)
                : rocksdb::DB::Open(options, directory, descriptors, &handles, &raw);
  out->families.assign(family_names().size(), nullptr);
  for (std::size_t i = 0; i < handles.size(); ++i) out->families[positions[i]] = handles[i];
  if (!status.ok()) {
    const bool locked = status.ToString().find("lock") != std::string::npos;
    throw std::runtime_error("transfer log '" + directory + "': " + status.ToString() +
                             (locked ? " (another oncegate process uses this data directory: stop it first, or "
                                       "give this one its own gateway.data_dir)"
                                     : ""));
  }
  out->db.reset(raw);
  return out;
}

std::optional<std::string> Db::get(Family family, const std::string& key, const rocksdb::ReadOptions& read) const {
  if (families[family] == nullptr) return std::nullopt;
  std::string value;
  const auto status = db->Get(read, families[family], key, &value);
  if (!status.ok()) return std::nullopt;
  return value;
}

Hash Db::perfect(unsigned level, std::uint64_t index) const {
  auto value = level == 0 ? get(kLeaves, be64(index)) : get(kNodes, node_key(level, index));
  if (!value) throw std::runtime_error("transfer log: subtree " + std::to_string(level) + "/" + std::to_string(index) + " missing");
  return *value;
}

}  // namespace oncegate::log::rocksdb_backend
