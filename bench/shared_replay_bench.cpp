// The cluster's replay window (issue 18): what one request's check in Redis costs. Keeps K
// checks in flight on one pipelined connection (as K concurrent requests of one node would) and
// reports the time from asking to the verdict (p50, p99) and the checks per second.
//
//   redis-server --port 6399 --requirepass bench --save '' --appendonly no &
//   build/bin/shared_replay_bench 6399 bench

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "gateway/store/redis_client.hpp"
#include "gateway/store/replay_window.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Run {
  std::shared_ptr<oncegate::store::SharedReplayWindow> window;
  std::atomic<long> next{0};
  long total = 0;
  std::mutex mutex;
  std::vector<double> latencies_us;
  std::atomic<long> done{0};
  std::atomic<long> not_first{0};
};

void ask(Run& run, const std::string& prefix) {
  const long i = run.next.fetch_add(1);
  if (i >= run.total) return;
  const auto started = Clock::now();
  run.window->remember(prefix + std::to_string(i), [&run, prefix, started](oncegate::store::SharedReplayWindow::Verdict verdict) {
    const double us = std::chrono::duration<double, std::micro>(Clock::now() - started).count();
    if (verdict != oncegate::store::SharedReplayWindow::Verdict::first) run.not_first.fetch_add(1);
    {
      std::lock_guard lock(run.mutex);
      run.latencies_us.push_back(us);
    }
    run.done.fetch_add(1);
    ask(run, prefix);  // the next request of this "connection"
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: shared_replay_bench PORT PASSWORD\n");
    return 2;
  }
  boost::asio::io_context io(2);
  auto work = boost::asio::make_work_guard(io);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) threads.emplace_back([&] { io.run(); });
  oncegate::store::RedisOptions options;
  options.port = static_cast<std::uint16_t>(std::atoi(argv[1]));
  options.password = argv[2];
  auto client = oncegate::store::RedisClient::start(io.get_executor(), options);
  for (int i = 0; i < 200 && !client->up(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!client->up()) {
    std::fprintf(stderr, "redis is not reachable on 127.0.0.1:%s\n", argv[1]);
    return 1;
  }
  std::printf("in_flight  checks  per_s    p50_us   p99_us\n");
  for (const int in_flight : {1, 16, 64, 256}) {
    Run run;
    run.window = oncegate::store::redis_replay_window(client, std::chrono::milliseconds(601'000),
                                                      "bench:" + std::to_string(std::time(nullptr)) + ":");
    run.total = in_flight == 1 ? 20'000 : 200'000;
    const auto started = Clock::now();
    for (int k = 0; k < in_flight; ++k) ask(run, "id-" + std::to_string(in_flight) + "-");
    while (run.done.load() < run.total) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    std::sort(run.latencies_us.begin(), run.latencies_us.end());
    const auto at = [&](double q) { return run.latencies_us[static_cast<std::size_t>(q * (run.latencies_us.size() - 1))]; };
    std::printf("%9d  %6ld  %7.0f  %7.1f  %7.1f%s\n", in_flight, run.total, run.total / seconds, at(0.5), at(0.99),
                run.not_first.load() ? "  (ids seen before!)" : "");
  }
  client->stop();
  work.reset();
  for (auto& thread : threads) thread.join();
  return 0;
}
