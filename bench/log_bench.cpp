// The transfer log: appends per second with durability on (WAL fsync, group commit) and off,
// with 64 concurrent writers; inclusion-proof generation per second. Goal (issue 4): >= 20,000
// durable appends/s with 64 writers. The citizen-query latency at 10 million records is measured
// by log_query_bench (it needs a large log built once).

#include <benchmark/benchmark.h>

#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <random>

#include "gateway/log/transfer_log.hpp"

namespace {

using namespace oncegate::log;

TransferRecord sample(std::uint64_t i) {
  TransferRecord r;
  r.request_uuid = "6f1c2e0a-5b8d-4c1e-9a3f-2d7b8c9e0f11";
  r.requester = "psw:01003110";
  r.register_adapter = "personenstand";
  r.register_name = "Personenstandsregister";
  r.evidence_type = "geburtsurkunde";
  r.purpose = "leistungsgewaehrung";
  r.legal_basis = "IDNrG § 6 Abs. 2";
  r.permission_rule = "buergeramt-nachweise";
  r.outcome = "delivered";
  r.answer_digest = "EiSQSdrN67IoBzu89InH+IsRJch3vlbrQJNALuv1EGI=";
  r.latency_us = 900;
  r.pseudonym = pseudonym(std::string(32, 's'), std::to_string(10'000'000'000ULL + i % 100'000));
  return r;
}

struct Shared {
  std::mutex mutex;
  std::unique_ptr<TransferLog> log;
  std::filesystem::path directory;
};

std::unique_ptr<TransferLog> open_fresh(const std::filesystem::path& directory, bool sync) {
  std::filesystem::remove_all(directory);
  TransferLogOptions options;
  options.directory = directory.string();
  options.sync = sync;
  options.identity = oncegate::log::LogIdentity{"oncegate.bench/log/1", std::make_shared<oncegate::crypto::Ed25519Key>(oncegate::crypto::Ed25519Key::generate())};
  return TransferLog::Open(options);
}

template <bool Sync>
void BM_Append(benchmark::State& state) {
  static Shared shared;
  if (state.thread_index() == 0) {
    std::lock_guard lock(shared.mutex);
    shared.directory = std::filesystem::temp_directory_path() / (Sync ? "oncegate-bench-log-sync" : "oncegate-bench-log-nosync");
    shared.log.reset();  // the previous run's log holds the directory lock
    shared.log = open_fresh(shared.directory, Sync);
  }
  std::uint64_t i = static_cast<std::uint64_t>(state.thread_index()) * 1'000'000;
  for (auto _ : state) {
    std::promise<bool> durable;
    shared.log->append(sample(i++), [&](bool ok, std::uint64_t) { durable.set_value(ok); });
    if (!durable.get_future().get()) state.SkipWithError("append failed");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  if (state.thread_index() == 0) {
    std::lock_guard lock(shared.mutex);
    state.counters["log_size"] = static_cast<double>(shared.log->size());
  }
}
BENCHMARK(BM_Append<true>)->Name("BM_AppendDurable")->Threads(1)->Threads(64)->UseRealTime()->MinTime(3);
BENCHMARK(BM_Append<false>)->Name("BM_AppendNoFsync")->Threads(1)->Threads(64)->UseRealTime()->MinTime(3);

void BM_InclusionProof(benchmark::State& state) {
  static std::unique_ptr<TransferLog> log;
  static const std::uint64_t records = static_cast<std::uint64_t>(state.range(0));
  if (!log) {
    log = open_fresh(std::filesystem::temp_directory_path() / "oncegate-bench-log-proofs", false);
    std::vector<std::promise<bool>> done(records);
    for (std::uint64_t i = 0; i < records; ++i) {
      log->append(sample(i), [&done, i](bool ok, std::uint64_t) { done[i].set_value(ok); });
    }
    for (auto& d : done) d.get_future().get();
    (void)log->issue_head();
  }
  std::mt19937_64 random(1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(log->prove(random() % records));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_InclusionProof)->Arg(200'000);

}  // namespace
