#pragma once
// Internal to the remote-https adapter: one HTTP exchange with the register (a query for fetch(),
// or the breaker's health probe), on its connection's strand; it owns the connection while it runs.

#include "adapters/remote/internal.hpp"

namespace oncegate::adapters::remote::detail {

using State = RemoteRegisterState;

class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  using Kind = ExchangeKind;

  Exchange(std::shared_ptr<State> state, Kind kind, http::request<http::string_body> request,
           Clock::time_point deadline, std::string evidence_type, std::string request_uuid, FetchHandler done)
      : state_(std::move(state)),
        kind_(kind),
        request_(std::move(request)),
        deadline_(deadline),
        evidence_type_(std::move(evidence_type)),
        request_uuid_(std::move(request_uuid)),
        done_(std::move(done)),
        retries_left_(state_->options.retries) {}

  // Starts on `connection` (for queries, the connection holds a pool slot).
  void run(std::shared_ptr<Connection> connection) {
    connection_ = std::move(connection);
    asio::post(connection_->stream.get_executor(),
               [self = shared_from_this()] { self->start_attempt(); });
  }

  // Delivers the result; a second call does nothing.
  void complete(FetchResult result) {
    if (!done_) return;
    FetchHandler done = std::move(done_);
    done_ = nullptr;
    done(std::move(result));
  }

 private:
  void start_attempt() {
    if (Clock::now() >= deadline_) {
      return finish(failure(FetchStatus::timeout, "deadline passed before the request was sent"),
                    connection_->established, std::nullopt);
    }
    attempt_on_reused_ = connection_->established;
    if (attempt_on_reused_) return send();
    resolve();
  }

  void resolve() {
    const RegisterUrl& url = state_->options.url;
    if (state_->connect_by_address) {
      boost::system::error_code ignored;  // checked when the adapter was built
      endpoints_ = {tcp::endpoint(asio::ip::make_address(url.host, ignored), url.port)};
      return connect();
    }
    // Name resolution has no timeout of its own (getaddrinfo cannot be interrupted); the deadline
    // is checked again once it returns.
    connection_->resolver.async_resolve(
        url.host, std::to_string(url.port),
        [self = shared_from_this()](const beast::error_code& ec,
                                    const tcp::resolver::results_type& results) {
          if (ec) return self->fail("resolving the register's host name", ec, false);
          self->endpoints_.assign(results.begin(), results.end());
          self->connect();
        });
  }

  void connect() {
    if (Clock::now() >= deadline_) {
      return finish(failure(FetchStatus::timeout, "deadline passed while resolving the register"),
                    false, std::nullopt);
    }
    // Connecting (TCP and TLS) is bounded by the connect timeout as well as by the deadline: a
    // register that does not even accept in that time is treated as unreachable, not as slow.
    const Clock::time_point cap = Clock::now() + state_->options.connect_timeout;
    connect_capped_ = cap < deadline_;
    beast::get_lowest_layer(connection_->stream).expires_at(connect_capped_ ? cap : deadline_);
    beast::get_lowest_layer(connection_->stream)
        .async_connect(endpoints_, [self = shared_from_this()](const beast::error_code& ec,
                                                               const tcp::endpoint&) {
          if (ec) return self->fail("connecting to the register", ec, false);
          // The query must not wait for the register's delayed ACK (Nagle).
          beast::error_code ignored;
          beast::get_lowest_layer(self->connection_->stream).socket().set_option(tcp::no_delay(true), ignored);
          self->handshake();
        });
  }

  void handshake() {
    connection_->stream.async_handshake(
        asio::ssl::stream_base::client, [self = shared_from_this()](const beast::error_code& ec) {
          if (ec) {
            return self->fail("TLS handshake with the register", ec, false,
                              handshake_problem(self->connection_->stream.native_handle(), ec));
          }
          self->connection_->established = true;
          self->send();
        });
  }

  void send() {
    connect_capped_ = false;
    if (connection_->buffer.size() != 0) {
      // Bytes nobody asked for wait on this connection: it is out of step, and reading on could
      // take them for this query's answer. Never reuse it.
      return fail("reusing a pooled connection", asio::error::connection_aborted, true,
                  "unread bytes were waiting on it");
    }
    beast::get_lowest_layer(connection_->stream).expires_at(deadline_);
    http::async_write(connection_->stream, request_,
                      [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
                        if (ec) return self->fail("sending to the register", ec, true);
                        self->receive();
                      });
  }

  void receive() {
    // The same framing rules as for requests: no trailers, no field a parser cannot hold, no
    // Transfer-Encoding that two parties could read differently.
    parser_.emplace(kHeaderLimit);
    parser_->body_limit(kBodyLimit);
    parser_->header_limit(kHeaderLimit);
    http::async_read(connection_->stream, connection_->buffer, *parser_,
                     [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
                       self->on_answer(ec);
                     });
  }

  void on_answer(const beast::error_code& ec) {
    if (ec == http::error::body_limit) {
      return finish(failure(FetchStatus::unavailable,
                            "the register's answer is larger than " +
                                std::to_string(kBodyLimit / 1024) + " KiB"),
                    false, true);
    }
    if (ec) {
      const bool nothing_received = !parser_->got_some() && connection_->buffer.size() == 0;
      return fail("reading the register's answer", ec, nothing_received);
    }
    const auto& response = parser_->get();
    const unsigned status = response.result_int();
    // Reuse only a connection that is certainly in step: a complete 200 answer the server will
    // not end by closing (parser_->keep_alive() also knows bodies delimited by the close), and
    // nothing left over. Anything else (1xx, errors, extra bytes) closes it.
    const bool keep = parser_->keep_alive() && status == 200 && connection_->buffer.size() == 0;

    if (kind_ != Kind::query) {
      if (status == 200) return finish(FetchResult{FetchStatus::found, {}, {}}, false, true);
      return finish(failure(FetchStatus::unavailable,
                            "health endpoint answered HTTP " + std::to_string(status)),
                    false, true);
    }
    if (status != 200) {
      return finish(failure(FetchStatus::unavailable,
                            "the register answered HTTP " + std::to_string(status)),
                    keep, true);
    }
    message::RegisterAnswerParse answer = message::parse_register_answer(response.body());
    if (answer.ok() && answer.request_uuid != request_uuid_) {
      // Never pass on an answer to another query: it may be another person's evidence.
      return finish(failure(FetchStatus::unavailable, "the register's answer names another query"), false, true);
    }
    switch (answer.outcome) {
      case message::RegisterAnswerParse::Outcome::not_found:
        return finish(FetchResult{FetchStatus::not_found, {}, "person not held by the register"},
                      keep, true);
      case message::RegisterAnswerParse::Outcome::found:
        // A register that delivers another kind of document than asked for is misconfigured or
        // mixed up its answers; passing it on could hand out the wrong evidence.
        if (answer.evidence.document != evidence_type_) {
          return finish(failure(FetchStatus::unavailable,
                                "the register delivered a '" + answer.evidence.document +
                                    "' document for a '" + evidence_type_ + "' query"),
                        keep, true);
        }
        return finish(FetchResult{FetchStatus::found, std::move(answer.evidence), {}}, keep,
                      true);
      case message::RegisterAnswerParse::Outcome::malformed:
        break;
    }
    finish(failure(FetchStatus::unavailable, "malformed register answer: " + answer.error), keep,
           true);
  }

  // A step failed. `before_answer`: no byte of an answer had arrived.
  void fail(const char* step, const beast::error_code& ec, bool before_answer,
            std::string problem = {}) {
    if (problem.empty()) problem = ec.message();
    if (ec == beast::error::timeout) {
      if (connect_capped_) {
        return finish(failure(FetchStatus::unavailable,
                              std::string(step) + " took longer than " +
                                  std::to_string(state_->options.connect_timeout.count()) +
                                  " ms (connect_timeout_ms)"),
                      false, false);
      }
      return finish(failure(FetchStatus::timeout, std::string("deadline passed while ") + step),
                    false, std::nullopt);
    }
    // A reused connection that fails before any answer most likely went stale while idle (the
    // register closed it or restarted), so the register has not acted on the request; the lookup
    // is read-only anyway. Try again on a fresh connection, and drop the other idle ones, which
    // are likely stale for the same reason.
    if (kind_ == Kind::query && attempt_on_reused_ && before_answer && retries_left_ > 0 &&
        Clock::now() < deadline_) {
      auto fresh = state_->new_connection();
      if (fresh) {
        --retries_left_;
        connection_->close();
        state_->flush_idle();
        run(std::move(fresh));  // takes over this call's pool slot
        return;
      }
    }
    const bool reached = connection_->established;
    finish(failure(FetchStatus::unavailable, std::string(step) + " failed: " + problem), false,
           reached);
  }

  // `reachable`: what this exchange learnt about reaching the register, if anything.
  void finish(FetchResult result, bool keep_connection, std::optional<bool> reachable) {
    if (!keep_connection) connection_->close();
    if (kind_ != Kind::query) {
      connection_.reset();
      if (kind_ == Kind::probe) {
        state_->probe_finished(result.status == FetchStatus::found, result.detail);
      } else {
        state_->health_finished(result.status == FetchStatus::found, result.detail);
      }
      return;
    }
    // Recorded before the connection goes back: when this result opens the breaker, queued calls
    // must not be handed the connection.
    state_->record(result, reachable);
    state_->release(connection_, keep_connection);
    connection_.reset();
    complete(std::move(result));
  }

  std::shared_ptr<State> state_;
  Kind kind_;
  http::request<http::string_body> request_;
  Clock::time_point deadline_;
  std::string evidence_type_;
  std::string request_uuid_;  // the answer must name it
  FetchHandler done_;
  unsigned retries_left_;
  std::shared_ptr<Connection> connection_;
  std::vector<tcp::endpoint> endpoints_;
  std::optional<net::BoundedResponseParser> parser_;
  bool attempt_on_reused_ = false;
  bool connect_capped_ = false;
};

}  // namespace oncegate::adapters::remote::detail
