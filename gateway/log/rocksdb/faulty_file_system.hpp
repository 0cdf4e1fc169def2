#pragma once
// Internal to the RocksDB backend: StorageFaults (storage_faults.hpp) applied to RocksDB's files
// through its FileSystemWrapper.

#include <memory>

#include <rocksdb/file_system.h>

#include "gateway/log/storage_faults.hpp"

namespace oncegate::log::rocksdb_backend {

// The default file system, failing or slowed down as `faults` says at the moment of each call.
[[nodiscard]] std::shared_ptr<rocksdb::FileSystem> faulty_file_system(std::shared_ptr<StorageFaults> faults);

}  // namespace oncegate::log::rocksdb_backend
