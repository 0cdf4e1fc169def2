#include "datacockpit/peers.hpp"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "gateway/client/https_client.hpp"
#include "gateway/oplog/oplog.hpp"

namespace oncegate::datacockpit {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kDirectoryLifetime = std::chrono::seconds(1);

struct Question {
  std::string target;
  std::string pseudonym;
  std::function<bool()> still_wanted;  // false once the asker's deadline passed: skipped
  std::function<void(PeerAnswer)> done;
};

// Answers reach the askers' executors only while this is open: the gateway closes it once its
// I/O threads have ended, and waits for an answer being handed over, so that nothing is posted
// to an io_context that is going away.
class DeliveryGate {
 public:
  bool enter() {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    ++inside_;
    return true;
  }
  void leave() {
    std::lock_guard lock(mutex_);
    if (--inside_ == 0) left_.notify_all();
  }
  void close() {
    std::unique_lock lock(mutex_);
    closed_ = true;
    left_.wait(lock, [this] { return inside_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable left_;
  bool closed_ = false;
  int inside_ = 0;
};

// One other node's questions of one kind (quick ones, or the slow Auskunft): its address, its
// idle connections, its queue and its worker threads.
class NodeWorker {
 public:
  NodeWorker(std::string name, std::string address, client::ClientTls tls, std::chrono::milliseconds timeout,
             std::size_t threads, std::size_t queue_limit, std::shared_ptr<DeliveryGate> gate)
      : name_(std::move(name)),
        address_(std::move(address)),
        tls_(std::move(tls)),
        timeout_(timeout),
        queue_limit_(queue_limit),
        max_idle_(threads),
        gate_(std::move(gate)) {
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
  }
  ~NodeWorker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      queue_.clear();
    }
    wake_.notify_all();
    for (auto& thread : threads_) thread.join();
  }

  void set_address(const std::string& address) {
    {
      std::lock_guard lock(mutex_);
      if (address == address_) return;
      address_ = address;
      // Connections to the old address are closed by a worker (a TLS close may wait), never on
      // the caller's thread (the store's strand).
      for (auto& connection : idle_) retired_.push_back(std::move(connection));
      idle_.clear();
    }
    wake_.notify_one();
  }

  // False when the queue is full (the node is answered as busy).
  bool post(Question question) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || queue_.size() >= queue_limit_) return false;
      queue_.push_back(std::move(question));
    }
    wake_.notify_one();
    return true;
  }

 private:
  void run() {
    pthread_setname_np(pthread_self(), "oncegate-peer");
    for (;;) {
      Question question;
      std::vector<std::unique_ptr<client::HttpsClient>> retired;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty() || !retired_.empty(); });
        if (stopping_) return;
        retired.swap(retired_);
        if (!queue_.empty()) {
          question = std::move(queue_.front());
          queue_.pop_front();
        }
      }
      retired.clear();
      if (!question.done || !question.still_wanted()) continue;
      auto answer = ask(question);
      if (!gate_->enter()) continue;
      question.done(std::move(answer));
      gate_->leave();
    }
  }

  PeerAnswer ask(const Question& question) {
    PeerAnswer answer;
    answer.node = name_;
    std::unique_ptr<client::HttpsClient> connection;
    std::string address;
    {
      std::lock_guard lock(mutex_);
      address = address_;
      if (!idle_.empty()) {
        connection = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    const auto colon = address.rfind(':');
    std::string host = colon == std::string::npos ? address : address.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const auto port = colon == std::string::npos ? 0 : std::atoi(address.c_str() + colon + 1);
    if (host.empty() || port <= 0 || port > 65535) {
      answer.problem = "no usable address in the node directory";
      return answer;
    }
    // A kept connection may have been closed by the other side meanwhile: once more on a new one.
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = connection != nullptr;
      try {
        if (!connection) connection = std::make_unique<client::HttpsClient>(host, static_cast<std::uint16_t>(port), tls_, timeout_);
        auto reply = connection->request("GET", question.target, "", "application/json",
                                         {{kPeerPseudonymHeader, question.pseudonym}});
        answer.answered = true;
        answer.status = reply.status;
        answer.body = std::move(reply.body);
        for (const auto& [name, value] : reply.headers) {
          if (name == "Retry-After" || name == "retry-after") answer.retry_after = value;
        }
        if (reply.keep_alive) {
          std::lock_guard lock(mutex_);
          if (address == address_ && idle_.size() < max_idle_) idle_.push_back(std::move(connection));
        }
        return answer;
      } catch (const std::exception& failure) {
        connection.reset();
        // The citizen reads a reason, the operators the details (at most every 10 s per node).
        answer.problem = "unreachable";
        const auto now = Clock::now();
        std::lock_guard lock(mutex_);
        if (now - last_logged_ > std::chrono::seconds(10)) {
          last_logged_ = now;
          oplog::write(oplog::Level::warn, "peer_unreachable", {{"node", name_}, {"reason", std::string(failure.what()).substr(0, 200)}});
        }
        if (!reused) break;
      }
    }
    return answer;
  }

  const std::string name_;
  std::string address_;
  const client::ClientTls tls_;
  const std::chrono::milliseconds timeout_;
  const std::size_t queue_limit_;
  const std::size_t max_idle_;  // one kept connection per thread
  const std::shared_ptr<DeliveryGate> gate_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Question> queue_;
  std::vector<std::unique_ptr<client::HttpsClient>> idle_;
  std::vector<std::unique_ptr<client::HttpsClient>> retired_;  // to be closed by a worker
  Clock::time_point last_logged_{};
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// A node's two lanes: the quick questions (list, overview, a proof, a log) and the slow one (the
// whole Auskunft), so that Auskunft requests never hold up anybody's list.
struct Node {
  std::unique_ptr<NodeWorker> quick;
  std::unique_ptr<NodeWorker> slow;
};

// One ask_all: the answers as they come, and the deadline, on the asker's executor.
struct Gather {
  Gather(boost::asio::any_io_executor e, std::function<void(std::optional<std::vector<PeerAnswer>>)> t)
      : executor(std::move(e)), timer(executor), then(std::move(t)) {}
  boost::asio::any_io_executor executor;
  boost::asio::steady_timer timer;
  std::function<void(std::optional<std::vector<PeerAnswer>>)> then;
  std::chrono::milliseconds timeout{};
  std::mutex mutex;
  std::vector<PeerAnswer> answers;
  std::size_t left = 0;
  bool done = false;

  // On the executor: once, when all answered or the timer fired.
  void finish() {
    std::vector<PeerAnswer> out;
    {
      std::lock_guard lock(mutex);
      if (done) return;
      done = true;
      out = answers;
    }
    timer.cancel();
    for (auto& answer : out) {
      if (!answer.answered && answer.problem.empty()) {
        answer.problem = "no answer within " + std::to_string(timeout.count()) + " ms";
      }
    }
    auto call = std::move(then);
    call(std::move(out));
  }
  bool wanted() {
    std::lock_guard lock(mutex);
    return !done;
  }
};

}  // namespace

struct PeerClient::Impl : std::enable_shared_from_this<PeerClient::Impl> {
  PeerSettings settings;
  client::ClientTls tls;
  std::mutex mutex;
  std::map<std::string, Node> nodes;  // every node seen in the directory
  std::shared_ptr<DeliveryGate> gate = std::make_shared<DeliveryGate>();
  std::optional<std::map<std::string, std::string>> directory;  // name -> address, others only
  Clock::time_point directory_read{};
  bool directory_in_flight = false;
  bool stopped = false;  // the client is going: no new worker threads
  std::vector<std::function<void(std::optional<std::map<std::string, std::string>>)>> waiting;

  explicit Impl(PeerSettings s) : settings(std::move(s)) {
    tls.ca_file = settings.ca_file;
    tls.certificate_file = settings.certificate_file;
    tls.private_key_file = settings.private_key_file;
  }

  // The directory as last read, read again when older than a second (the questions meanwhile
  // wait for it: one store round trip a second, so that a node that joined is asked at once).
  void with_directory(std::function<void(std::optional<std::map<std::string, std::string>>)> then) {
    std::optional<std::map<std::string, std::string>> known;
    bool fetch = false;
    {
      std::lock_guard lock(mutex);
      if (directory && Clock::now() - directory_read < kDirectoryLifetime) {
        known = directory;
      } else {
        waiting.push_back(std::move(then));
        fetch = !directory_in_flight;
        directory_in_flight = true;
      }
    }
    if (known) return then(std::move(known));
    if (!fetch) return;
    settings.directory([self = shared_from_this()](std::optional<std::map<std::string, std::string>> read) {
      std::vector<std::function<void(std::optional<std::map<std::string, std::string>>)>> run;
      std::optional<std::map<std::string, std::string>> result;
      {
        std::lock_guard lock(self->mutex);
        self->directory_in_flight = false;
        if (read && !self->stopped) {
          std::map<std::string, std::string> others;
          for (auto& [name, address] : *read) {
            if (name == self->settings.self || address.empty()) continue;
            others[name] = address;
            auto& node = self->nodes[name];
            if (node.quick) {
              node.quick->set_address(address);
              node.slow->set_address(address);
            } else {
              // Each step of a connection may take as long as its questions may.
              const auto& s = self->settings;
              node.quick = std::make_unique<NodeWorker>(name, address, self->tls, s.timeout, s.threads_per_node, s.queue_per_node,
                                                        self->gate);
              node.slow = std::make_unique<NodeWorker>(name, address, self->tls, s.slow_timeout, 1, 4, self->gate);
            }
          }
          self->directory = std::move(others);
          self->directory_read = Clock::now();
        }
        result = self->directory;  // a stale list is better than none when the store failed once
        run.swap(self->waiting);
      }
      for (auto& then : run) then(result);
    });
  }

  bool post(const std::string& node, Question question, bool slow) {
    std::lock_guard lock(mutex);
    const auto found = nodes.find(node);
    if (found == nodes.end()) return false;
    return (slow ? found->second.slow : found->second.quick)->post(std::move(question));
  }

  void start(std::vector<std::string> names, std::vector<std::string> targets, std::string pseudonym,
             boost::asio::any_io_executor executor, std::function<void(std::optional<std::vector<PeerAnswer>>)> then,
             std::chrono::milliseconds timeout, bool slow) {
    auto gather = std::make_shared<Gather>(executor, std::move(then));
    gather->timeout = timeout;
    gather->answers.resize(names.size());
    gather->left = names.size();
    for (std::size_t i = 0; i < names.size(); ++i) gather->answers[i].node = names[i];
    if (names.empty()) return gather->finish();
    gather->timer.expires_after(timeout);
    gather->timer.async_wait([gather](const boost::system::error_code&) { gather->finish(); });
    // The workers hold the gather weakly: the timer's handler owns it until the deadline, so a
    // question still being answered then keeps nothing alive.
    const std::weak_ptr<Gather> weak = gather;
    for (std::size_t i = 0; i < names.size(); ++i) {
      const auto record = [weak, i](PeerAnswer answer) {
        const auto gather = weak.lock();
        if (!gather) return;
        bool last = false;
        {
          std::lock_guard lock(gather->mutex);
          if (gather->done) return;
          gather->answers[i] = std::move(answer);
          last = --gather->left == 0;
        }
        if (last) boost::asio::post(gather->executor, [gather] { gather->finish(); });
      };
      if (targets[i].empty()) {
        PeerAnswer not_asked;
        not_asked.node = names[i];
        not_asked.answered = true;
        record(std::move(not_asked));
        continue;
      }
      Question question{targets[i], pseudonym, [weak] {
                          const auto gather = weak.lock();
                          return gather && gather->wanted();
                        },
                        record};
      if (!post(names[i], std::move(question), slow)) {
        PeerAnswer busy;
        busy.node = names[i];
        busy.problem = "busy";
        record(std::move(busy));
      }
    }
  }
};

PeerClient::PeerClient(PeerSettings settings) : impl_(std::make_shared<Impl>(std::move(settings))) {}

PeerClient::~PeerClient() {
  stop();
  std::map<std::string, Node> nodes;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopped = true;
    nodes.swap(impl_->nodes);
  }
  nodes.clear();  // joins the threads, outside the lock (a finishing question takes it)
}

const std::string& PeerClient::self() const noexcept { return impl_->settings.self; }

void PeerClient::stop() { impl_->gate->close(); }

void PeerClient::ask_all(std::function<std::string(const std::string& node)> target_for, std::string pseudonym,
                         boost::asio::any_io_executor executor, std::function<void(std::optional<std::vector<PeerAnswer>>)> then,
                         bool slow) {
  auto impl = impl_;
  const auto timeout = slow ? impl->settings.slow_timeout : impl->settings.timeout;
  impl->with_directory([impl, target_for = std::move(target_for), pseudonym = std::move(pseudonym), executor, timeout, slow,
                        then = std::move(then)](std::optional<std::map<std::string, std::string>> directory) mutable {
    if (!directory) {
      return boost::asio::post(executor, [then = std::move(then)]() mutable { then(std::nullopt); });
    }
    std::vector<std::string> names;
    std::vector<std::string> targets;
    for (const auto& [name, address] : *directory) {
      names.push_back(name);
      targets.push_back(target_for(name));
    }
    // The timer and the answers live on the asker's executor from here on.
    boost::asio::post(executor, [impl, names = std::move(names), targets = std::move(targets), pseudonym = std::move(pseudonym),
                                 executor, timeout, slow, then = std::move(then)]() mutable {
      impl->start(std::move(names), std::move(targets), std::move(pseudonym), executor, std::move(then), timeout, slow);
    });
  });
}

void PeerClient::ask(std::string node, std::string target, std::string pseudonym, boost::asio::any_io_executor executor,
                     std::function<void(PeerAnswer)> then) {
  auto impl = impl_;
  impl->with_directory([impl, node = std::move(node), target = std::move(target), pseudonym = std::move(pseudonym), executor,
                        then = std::move(then)](std::optional<std::map<std::string, std::string>> directory) mutable {
    std::vector<std::string> names;
    if (directory && directory->contains(node)) names.push_back(node);
    boost::asio::post(executor, [impl, node, names = std::move(names), target = std::move(target), pseudonym = std::move(pseudonym),
                                 executor, known = directory.has_value(), then = std::move(then)]() mutable {
      if (names.empty()) {
        PeerAnswer answer;
        answer.node = node;
        answer.problem = known ? "unknown node" : "the node directory cannot be read";
        return then(std::move(answer));
      }
      std::vector<std::string> targets{std::move(target)};
      impl->start(std::move(names), std::move(targets), std::move(pseudonym), executor,
                  [then = std::move(then)](std::optional<std::vector<PeerAnswer>> answers) mutable {
                    then(answers && !answers->empty() ? std::move(answers->front()) : PeerAnswer{});
                  },
                  impl->settings.timeout, false);
    });
  });
}

}  // namespace oncegate::datacockpit
