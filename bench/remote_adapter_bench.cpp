// The remote register path: evidence fetched through the remote-https adapter (keep-alive TLS
// pool) from the sample register server on loopback, with 1, 16 and 64 calls in flight; and the
// cost of a call while the circuit breaker is open (what a requester waits when a register is
// down). Register and adapter share the machine's cores, so these are lower bounds for a
// register on its own host.

#include <benchmark/benchmark.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "adapters/population/population.hpp"
#include "gateway/adapter/factory_registry.hpp"
#include "adapters/remote/remote_register.hpp"
#include "adapters/sample_register/sample_register_server.hpp"
#include "gateway/demo/pki.hpp"

namespace {

using namespace oncegate;
namespace fs = std::filesystem;

// A register server and an adapter with its own I/O thread, made once per process.
struct Setup {
  fs::path directory = fs::temp_directory_path() / ("oncegate-remote-bench-" + std::to_string(::getpid()));
  std::vector<adapters::population::Person> people;
  std::unique_ptr<adapters::sample_register::SampleRegisterServer> server;
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  std::thread io_thread;
  adapters::AdapterFactoryRegistry factories;

  Setup() {
    const auto pki = demo::ensure_demo_pki(directory / "demo");
    const auto population = directory / "population.tsv";
    (void)adapters::population::ensure_population_file(population, 7, 5000);
    people = adapters::population::read_tsv(population);
    adapters::sample_register::SampleRegisterServer::Options options;
    options.population = population;
    options.certificate = pki.server_certificate.string();
    options.private_key = pki.server_key.string();
    options.io_threads = 1;
    server = std::make_unique<adapters::sample_register::SampleRegisterServer>(options);
    server->start();
    adapters::remote::register_remote_adapter_type(factories);
    io_thread = std::thread([this] { io.run(); });
  }
  ~Setup() {
    work.reset();
    io.stop();
    io_thread.join();
    server->shutdown();
    fs::remove_all(directory);
  }

  std::shared_ptr<adapters::RegisterAdapter> adapter(std::uint16_t port, const std::string& failures) {
    return factories.create(
        adapters::AdapterConfig{"bench", "remote-https", "Bench register",
                                {{"url", "https://127.0.0.1:" + std::to_string(port)},
                                 {"ca", (directory / "demo" / "ca.pem").string()},
                                 {"pool_size", "16"},
                                 {"breaker_failures", failures},
                                 {"breaker_open_ms", "600000"}}},
        adapters::AdapterContext{io.get_executor(), directory.string()});
  }
};

Setup& setup() {
  static Setup instance;
  return instance;
}

// Runs `count` fetches at once and waits for all of them.
std::size_t fetch_batch(adapters::RegisterAdapter& adapter, const std::vector<adapters::population::Person>& people,
                        std::size_t count, std::size_t offset) {
  std::mutex mutex;
  std::condition_variable done;
  std::size_t remaining = count;
  std::size_t found = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (std::size_t i = 0; i < count; ++i) {
    const auto& person = people[(offset + i) % people.size()];
    adapter.fetch(adapters::EvidenceQuery{person.idnr, "geburtsurkunde", "", "bench", "", {}}, deadline,
                  [&](adapters::FetchResult result) {
                    std::lock_guard lock(mutex);
                    if (result.status == adapters::FetchStatus::found) ++found;
                    if (--remaining == 0) done.notify_one();
                  });
  }
  std::unique_lock lock(mutex);
  done.wait(lock, [&] { return remaining == 0; });
  return found;
}

void BM_RemoteFetch(benchmark::State& state) {
  auto& s = setup();
  const auto in_flight = static_cast<std::size_t>(state.range(0));
  auto adapter = s.adapter(s.server->port(), "1000");
  (void)fetch_batch(*adapter, s.people, 16, 0);  // warm the pool
  std::size_t offset = 0;
  std::size_t found = 0;
  for (auto _ : state) {
    found += fetch_batch(*adapter, s.people, in_flight, offset);
    offset += in_flight;
  }
  if (found != offset) state.SkipWithError("a fetch did not deliver");
  state.SetItemsProcessed(static_cast<std::int64_t>(offset));
}
BENCHMARK(BM_RemoteFetch)->Arg(1)->Arg(16)->Arg(64)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_BreakerOpenFailsFast(benchmark::State& state) {
  auto& s = setup();
  // A port nobody listens on (taken and released): the first failure opens the breaker.
  std::uint16_t closed_port = 0;
  {
    boost::asio::io_context probe;
    boost::asio::ip::tcp::acceptor acceptor(probe, {boost::asio::ip::make_address("127.0.0.1"), 0});
    closed_port = acceptor.local_endpoint().port();
  }
  auto adapter = s.adapter(closed_port, "1");
  (void)fetch_batch(*adapter, s.people, 1, 0);
  if (adapter->status().breaker != "open") state.SkipWithError("the breaker did not open");
  for (auto _ : state) benchmark::DoNotOptimize(fetch_batch(*adapter, s.people, 1, 0));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BreakerOpenFailsFast)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
