#include "gateway/log/rocksdb/faulty_file_system.hpp"

#include <thread>

namespace oncegate::log::rocksdb_backend {

namespace {

rocksdb::IOStatus no_space(StorageFaults& faults) {
  faults.count_refused_write();
  return rocksdb::IOStatus::NoSpace("injected: the log's disk is full");
}

// A writable file (write-ahead log, table, manifest) whose writes fail while the disk is "full"
// and whose syncs wait for the configured delay first.
class FaultyWritableFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultyWritableFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::shared_ptr<StorageFaults> faults)
      : FSWritableFileOwnerWrapper(std::move(file)), faults_(std::move(faults)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (faults_->disk_full()) return no_space(*faults_);
    return FSWritableFileOwnerWrapper::Append(data, options, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info, rocksdb::IODebugContext* dbg) override {
    if (faults_->disk_full()) return no_space(*faults_);
    return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, std::uint64_t offset,
                                     const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (faults_->disk_full()) return no_space(*faults_);
    return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, std::uint64_t offset,
                                     const rocksdb::IOOptions& options, const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    if (faults_->disk_full()) return no_space(*faults_);
    return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, info, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (auto status = before_sync(); !status.ok()) return status;
    return FSWritableFileOwnerWrapper::Sync(options, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (auto status = before_sync(); !status.ok()) return status;
    return FSWritableFileOwnerWrapper::Fsync(options, dbg);
  }
  rocksdb::IOStatus RangeSync(std::uint64_t offset, std::uint64_t bytes, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override {
    if (faults_->disk_full()) return no_space(*faults_);
    return FSWritableFileOwnerWrapper::RangeSync(offset, bytes, options, dbg);
  }

 private:
  rocksdb::IOStatus before_sync() {
    if (const auto delay = faults_->sync_delay(); delay.count() > 0) {
      faults_->count_delayed_sync();
      std::this_thread::sleep_for(delay);
    }
    if (faults_->disk_full()) return no_space(*faults_);
    return rocksdb::IOStatus::OK();
  }

  std::shared_ptr<StorageFaults> faults_;
};

class FaultyFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultyFileSystem(std::shared_ptr<StorageFaults> faults)
      : FileSystemWrapper(rocksdb::FileSystem::Default()), faults_(std::move(faults)) {}

  const char* Name() const override { return "OncegateFaultyFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    return wrap(FileSystemWrapper::NewWritableFile(name, options, result, dbg), result);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    return wrap(FileSystemWrapper::ReopenWritableFile(name, options, result, dbg), result);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    return wrap(FileSystemWrapper::ReuseWritableFile(name, old_name, options, result, dbg), result);
  }

 private:
  rocksdb::IOStatus wrap(rocksdb::IOStatus status, std::unique_ptr<rocksdb::FSWritableFile>* result) {
    if (status.ok() && *result) *result = std::make_unique<FaultyWritableFile>(std::move(*result), faults_);
    return status;
  }

  std::shared_ptr<StorageFaults> faults_;
};

}  // namespace

std::shared_ptr<rocksdb::FileSystem> faulty_file_system(std::shared_ptr<StorageFaults> faults) {
  return std::make_shared<FaultyFileSystem>(std::move(faults));
}

}  // namespace oncegate::log::rocksdb_backend
