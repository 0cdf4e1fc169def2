#include "gateway/store/redis_client.hpp"

#include <algorithm>
#include <deque>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "gateway/oplog/oplog.hpp"

namespace oncegate::store {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

class Connection final : public RedisClient, public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::any_io_executor executor, RedisOptions options)
      : strand_(asio::make_strand(executor)), options_(std::move(options)), resolver_(strand_), socket_(strand_),
        retry_timer_(strand_), deadline_timer_(strand_), ping_timer_(strand_),
        backoff_(options_.reconnect_min) {}

  void begin() {
    asio::post(strand_, [self = shared_from_this()] { self->connect(); });
  }

  void command(std::vector<std::string> arguments, Callback then) override {
    asio::post(strand_, [self = shared_from_this(), arguments = std::move(arguments), then = std::move(then)]() mutable {
      if (!self->ready_ || self->pending_.size() >= self->options_.max_pending) {
        self->failed_.fetch_add(1, std::memory_order_relaxed);
        return then(std::nullopt);
      }
      self->send(arguments, std::move(then));
    });
  }

  [[nodiscard]] bool up() const noexcept override { return up_.load(std::memory_order_acquire); }

  [[nodiscard]] RedisCounts counts() const noexcept override {
    return RedisCounts{commands_.load(std::memory_order_relaxed), failed_.load(std::memory_order_relaxed),
                       connects_.load(std::memory_order_relaxed)};
  }

  void stop() override {
    asio::post(strand_, [self = shared_from_this()] {
      if (self->stopped_) return;
      self->stopped_ = true;
      self->retry_timer_.cancel();
      self->ping_timer_.cancel();
      self->deadline_timer_.cancel();
      self->resolver_.cancel();
      self->close_and_fail();
    });
  }

 private:
  struct Pending {
    Callback then;
    Clock::time_point sent;
  };

  void connect() {
    if (stopped_) return;
    resolver_.async_resolve(options_.host, std::to_string(options_.port),
                            [self = shared_from_this()](boost::system::error_code ec, tcp::resolver::results_type results) {
                              if (self->stopped_) return;
                              if (ec) return self->drop("resolve: " + ec.message());
                              asio::async_connect(self->socket_, results,
                                                  [self](boost::system::error_code ec, const tcp::endpoint&) {
                                                    self->on_connect(ec);
                                                  });
                            });
  }

  void on_connect(boost::system::error_code ec) {
    if (stopped_) return;
    if (ec) return drop("connect: " + ec.message());
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    read_buffer_.clear();
    read();
    arm_deadline();
    if (!options_.password.empty()) {
      std::vector<std::string> auth{"AUTH"};
      if (!options_.user.empty()) auth.push_back(options_.user);
      auth.push_back(options_.password);
      send(auth, [self = shared_from_this()](std::optional<Reply> reply) {
        // The store's own words ("WRONGPASS ...") say nothing secret; the password is never logged.
        if (reply && !reply->is_ok()) self->drop("AUTH refused: " + reply->text.substr(0, 120));
      });
    }
    send({"PING"}, [self = shared_from_this()](std::optional<Reply> reply) {
      if (!reply || reply->kind != Reply::Kind::status) return;  // dropped already, or AUTH failed
      self->ready_ = true;
      self->up_.store(true, std::memory_order_release);
      self->backoff_ = self->options_.reconnect_min;
      self->connects_.fetch_add(1, std::memory_order_relaxed);
      self->report(oplog::Level::info, "store_connected", "");
      self->schedule_ping();
    });
  }

  void send(const std::vector<std::string>& arguments, Callback then) {
    std::vector<std::string_view> views(arguments.begin(), arguments.end());
    append_command(out_, views);
    pending_.push_back(Pending{std::move(then), Clock::now()});
    commands_.fetch_add(1, std::memory_order_relaxed);
    flush();
  }

  // Writes what accumulated; commands that arrive during a write go out together with the next.
  void flush() {
    if (writing_ || out_.empty() || !socket_.is_open()) return;
    writing_ = true;
    in_write_.swap(out_);
    out_.clear();
    asio::async_write(socket_, asio::buffer(in_write_),
                      [self = shared_from_this(), generation = generation_](boost::system::error_code ec, std::size_t) {
                        if (generation != self->generation_) return;
                        self->writing_ = false;
                        self->in_write_.clear();
                        if (ec) return self->drop("write: " + ec.message());
                        self->flush();
                      });
  }

  void read() {
    chunk_.resize(16 * 1024);
    socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this(), generation = generation_](
                                                      boost::system::error_code ec, std::size_t bytes) {
      if (generation != self->generation_) return;
      if (ec) return self->drop(ec == asio::error::eof ? "the store closed the connection" : "read: " + ec.message());
      self->read_buffer_.append(self->chunk_.data(), bytes);
      std::size_t offset = 0;
      while (true) {
        auto result = read_reply(std::string_view(self->read_buffer_).substr(offset));
        if (result.status == ReadResult::Status::incomplete) break;
        if (result.status == ReadResult::Status::malformed || self->pending_.empty()) {
          return self->drop(result.status == ReadResult::Status::malformed ? "malformed reply" : "reply without a command");
        }
        offset += result.consumed;
        auto pending = std::move(self->pending_.front());
        self->pending_.pop_front();
        pending.then(std::move(result.reply));
        if (generation != self->generation_) return;  // the callback dropped the connection
      }
      self->read_buffer_.erase(0, offset);
      self->read();
    });
  }

  // Fails the connection when its oldest command has waited past the timeout.
  void arm_deadline() {
    const auto tick = std::max(std::chrono::milliseconds(10), options_.timeout / 4);
    deadline_timer_.expires_after(tick);
    deadline_timer_.async_wait([self = shared_from_this(), generation = generation_](boost::system::error_code ec) {
      if (ec || generation != self->generation_ || self->stopped_) return;
      if (!self->pending_.empty() && Clock::now() - self->pending_.front().sent > self->options_.timeout) {
        return self->drop("no reply within " + std::to_string(self->options_.timeout.count()) + " ms");
      }
      self->arm_deadline();
    });
  }

  void schedule_ping() {
    ping_timer_.expires_after(options_.ping_interval);
    ping_timer_.async_wait([self = shared_from_this(), generation = generation_](boost::system::error_code ec) {
      if (ec || generation != self->generation_ || self->stopped_) return;
      self->send({"PING"}, [](std::optional<Reply>) {});
      self->schedule_ping();
    });
  }

  void close_and_fail() {
    ++generation_;  // handlers of the old connection see that they are stale
    boost::system::error_code ignored;
    socket_.close(ignored);
    deadline_timer_.cancel();
    ping_timer_.cancel();
    writing_ = false;
    out_.clear();
    in_write_.clear();
    read_buffer_.clear();
    ready_ = false;
    up_.store(false, std::memory_order_release);
    auto waiting = std::move(pending_);
    pending_.clear();
    failed_.fetch_add(waiting.size(), std::memory_order_relaxed);
    for (auto& pending : waiting) pending.then(std::nullopt);
  }

  // Gives the connection up and tries again after the backoff.
  void drop(const std::string& reason) {
    const bool was_up = ready_;
    close_and_fail();
    if (stopped_) return;
    // Said once per outage, not once per attempt.
    if (was_up || !reported_down_) report(oplog::Level::warn, "store_unreachable", reason);
    reported_down_ = true;
    retry_timer_.expires_after(backoff_);
    backoff_ = std::min(backoff_ * 2, options_.reconnect_max);
    retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopped_) return;
      self->socket_ = tcp::socket(self->strand_);
      self->connect();
    });
  }

  void report(oplog::Level level, std::string_view event, const std::string& reason) {
    if (event == "store_connected") reported_down_ = false;
    const std::string store = options_.host + ":" + std::to_string(options_.port);
    if (reason.empty()) {
      oplog::write(level, event, {{"store", store}});
    } else {
      oplog::write(level, event, {{"store", store}, {"reason", reason}});
    }
  }

  asio::strand<asio::any_io_executor> strand_;
  RedisOptions options_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  asio::steady_timer retry_timer_;
  asio::steady_timer deadline_timer_;
  asio::steady_timer ping_timer_;
  std::chrono::milliseconds backoff_;
  std::deque<Pending> pending_;
  std::string out_;
  std::string in_write_;
  std::string read_buffer_;
  std::string chunk_;
  std::uint64_t generation_ = 0;
  bool writing_ = false;
  bool ready_ = false;
  bool stopped_ = false;
  bool reported_down_ = false;
  std::atomic<bool> up_{false};
  std::atomic<std::uint64_t> commands_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> connects_{0};
};

}  // namespace

std::shared_ptr<RedisClient> RedisClient::start(asio::any_io_executor executor, RedisOptions options) {
  auto connection = std::make_shared<Connection>(std::move(executor), std::move(options));
  connection->begin();
  return connection;
}

}  // namespace oncegate::store
