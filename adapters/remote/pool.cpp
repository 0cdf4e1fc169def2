// The remote adapter's shared state: the keep-alive pool and its queue, the circuit breaker and
// its health probe, status counters.

#include "adapters/remote/exchange.hpp"
#include "adapters/remote/internal.hpp"

namespace oncegate::adapters::remote {

namespace detail {

void RemoteRegisterState::query(http::request<http::string_body> request, Clock::time_point deadline,
                                std::string evidence_type, std::string request_uuid, FetchHandler done) {
  auto exchange = std::make_shared<Exchange>(shared_from_this(), Exchange::Kind::query, std::move(request), deadline,
                                             std::move(evidence_type), std::move(request_uuid), std::move(done));
  admit(exchange, deadline);
}

std::shared_ptr<Connection> RemoteRegisterState::new_connection() const {
  std::shared_ptr<Connection> connection;
  try {
    connection = std::make_shared<Connection>(executor, tls);
  } catch (const std::exception&) {
    return nullptr;  // no TLS object (out of memory): callers end the call instead of losing it
  }
  SSL* ssl = connection->stream.native_handle();
  // The certificate must name the register (host name or IP address); SNI carries host names
  // only (RFC 6066), never IP literals.
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  bool name_check_set = false;
  if (verify_name_is_ip) {
    name_check_set = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), verify_name.c_str()) == 1;
  } else {
    name_check_set = SSL_set1_host(ssl, verify_name.c_str()) == 1;
    SSL_set_tlsext_host_name(ssl, verify_name.c_str());
  }
  // Without the name check any certificate of the CA would do: fail closed instead.
  if (!name_check_set) SSL_set_verify(ssl, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 0; });
  return connection;
}

http::request<http::string_body> RemoteRegisterState::new_request(http::verb verb,
                                                                  const std::string& target) const {
  http::request<http::string_body> request(verb, target, 11);
  request.set(http::field::host, host_header);
  request.set(http::field::user_agent, "oncegate-remote-adapter");
  request.keep_alive(true);
  return request;
}

void RemoteRegisterState::carry_out(Aftermath& after) const {
  for (const auto& connection : after.to_close) close_later(connection);
  // Posted, so that no handler runs inside fetch() or the adapter's destructor.
  for (auto& [exchange, result] : after.to_complete) {
    asio::post(executor, [exchange = std::move(exchange), result = std::move(result)]() mutable {
      exchange->complete(std::move(result));
    });
  }
  for (const auto& line : after.to_log) {
    log_event(line.level, line.event, options.name, address, line.detail);
  }
}

void RemoteRegisterState::admit(const std::shared_ptr<Exchange>& exchange,
                                Clock::time_point deadline) {
  Aftermath after;
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard lock(mutex);
    ++counters.calls;
    if (closed) {
      after.to_complete.emplace_back(
          exchange, failure(FetchStatus::unavailable, "register adapter removed"));
    } else if (!breaker.allows_requests()) {
      ++counters.rejected_open;
      after.to_complete.emplace_back(exchange, failure(FetchStatus::unavailable, "circuit open"));
    } else if (Clock::now() >= deadline) {
      ++counters.timeouts;
      after.to_complete.emplace_back(
          exchange, failure(FetchStatus::timeout, "deadline passed before the call"));
    } else {
      // Connections idle for long are likely being closed by the register: no call is bet on
      // them.
      const Clock::time_point now = Clock::now();
      std::erase_if(idle, [&](const std::shared_ptr<Connection>& c) {
        if (now - c->idle_since < kMaxIdle) return false;
        after.to_close.push_back(c);
        return true;
      });
      open -= after.to_close.size();
      if (!idle.empty()) {
        connection = std::move(idle.back());
        idle.pop_back();
      } else if (open < options.pool_size) {
        connection = new_connection();
        if (connection) {
          ++open;
        } else {
          after.to_complete.emplace_back(exchange, failure(FetchStatus::unavailable, "cannot set up a TLS connection"));
        }
      } else {
        auto waiter = std::make_shared<Waiter>(exchange, executor);
        waiters.push_back(waiter);
        waiter->timer.expires_at(deadline);
        waiter->timer.async_wait([weak_state = weak_from_this(),
                                  weak_waiter = std::weak_ptr<Waiter>(waiter)](
                                     const boost::system::error_code& ec) {
          if (ec) return;  // cancelled: the call got a connection or was ended otherwise
          auto state = weak_state.lock();
          auto waiter = weak_waiter.lock();
          if (state && waiter) state->waiter_expired(waiter);
        });
      }
    }
  }
  carry_out(after);
  if (connection) exchange->run(std::move(connection));
}

void RemoteRegisterState::waiter_expired(const std::shared_ptr<Waiter>& waiter) {
  Aftermath after;
  {
    std::lock_guard lock(mutex);
    const auto it = std::find(waiters.begin(), waiters.end(), waiter);
    if (it == waiters.end()) return;  // handed a connection in the meantime
    waiters.erase(it);
    const std::string detail = "deadline passed while waiting for a free connection (pool_size " +
                               std::to_string(options.pool_size) + " in use)";
    ++counters.timeouts;
    counters.last_error = detail;
    // A saturated pool means the register answers too slowly for the load: that counts against it.
    if (breaker.record_failure()) opened_locked(after, detail);
    after.to_complete.emplace_back(waiter->exchange, failure(FetchStatus::timeout, detail));
  }
  carry_out(after);
}

void RemoteRegisterState::release(const std::shared_ptr<Connection>& connection, bool keep) {
  Aftermath after;
  std::shared_ptr<Waiter> next;
  std::shared_ptr<Connection> handed_on;
  {
    std::lock_guard lock(mutex);
    const bool usable = !closed && breaker.allows_requests();
    if (keep && !usable) after.to_close.push_back(connection);
    if (usable && !waiters.empty()) {
      next = std::move(waiters.front());
      waiters.pop_front();
      next->timer.cancel();
      // The slot passes to the waiting call: with this connection if it stays open, else with a
      // fresh one.
      handed_on = keep ? connection : new_connection();
      if (!handed_on) {
        --open;
        after.to_complete.emplace_back(next->exchange, failure(FetchStatus::unavailable, "cannot set up a TLS connection"));
        next.reset();
      }
    } else if (keep && usable) {
      connection->idle_since = Clock::now();
      idle.push_back(connection);
    } else {
      --open;
    }
  }
  carry_out(after);
  if (next) next->exchange->run(std::move(handed_on));
}

void RemoteRegisterState::record(const FetchResult& result, std::optional<bool> reachable) {
  Aftermath after;
  {
    std::lock_guard lock(mutex);
    if (reachable) counters.reachable = *reachable;
    bool opened = false;
    switch (result.status) {
      case FetchStatus::found:
      case FetchStatus::not_found:
        breaker.record_success();
        break;
      case FetchStatus::unavailable:
        ++counters.failures;
        counters.last_error = result.detail;
        opened = breaker.record_failure();
        break;
      case FetchStatus::timeout:
        ++counters.timeouts;
        counters.last_error = result.detail;
        opened = breaker.record_failure();
        break;
    }
    if (opened) opened_locked(after, result.detail);
  }
  carry_out(after);
}

void RemoteRegisterState::opened_locked(Aftermath& after, const std::string& reason) {
  // Idle connections go (the register is likely gone or restarting), queued calls fail at once
  // like every further call until the probe finds the register back.
  for (auto& connection : idle) after.to_close.push_back(std::move(connection));
  open -= idle.size();
  idle.clear();
  for (auto& waiter : waiters) {
    waiter->timer.cancel();
    ++counters.rejected_open;
    after.to_complete.emplace_back(std::move(waiter->exchange),
                                   failure(FetchStatus::unavailable, "circuit open"));
  }
  waiters.clear();
  schedule_probe_locked();
  after.to_log.push_back({"warn", "breaker_open",
                          std::to_string(options.breaker_failures) +
                              " consecutive failures, last: " + reason});
}

void RemoteRegisterState::schedule_probe_locked() {
  probe_timer.expires_at(breaker.probe_due_at());
  // Weak: a pending probe timer must not keep the state (and the timer itself) alive.
  probe_timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto state = weak.lock()) state->start_probe();
  });
}

void RemoteRegisterState::flush_idle() {
  Aftermath after;
  {
    std::lock_guard lock(mutex);
    for (auto& connection : idle) after.to_close.push_back(std::move(connection));
    open -= idle.size();
    idle.clear();
  }
  carry_out(after);
}

void RemoteRegisterState::start_probe() {
  Aftermath after;
  {
    std::lock_guard lock(mutex);
    if (closed) return;
    if (!breaker.begin_probe()) {
      if (breaker.state() == CircuitBreaker::State::open) schedule_probe_locked();
      return;
    }
    after.to_log.push_back({"info", "breaker_half_open", "probing GET " + health_target});
  }
  carry_out(after);
  ask_health_endpoint(Exchange::Kind::probe);
}

void RemoteRegisterState::ask_health_endpoint(ExchangeKind kind) {
  auto request = new_request(http::verb::get, health_target);
  request.keep_alive(false);
  const Clock::time_point deadline = Clock::now() + options.connect_timeout + kProbeAnswerTime;
  auto exchange = std::make_shared<Exchange>(shared_from_this(), kind, std::move(request), deadline, std::string{},
                                             std::string{}, nullptr);
  auto connection = new_connection();
  if (!connection) {
    const std::string problem = "cannot set up a TLS connection";
    return kind == Exchange::Kind::probe ? probe_finished(false, problem) : health_finished(false, problem);
  }
  exchange->run(std::move(connection));
}

void RemoteRegisterState::probe_finished(bool healthy, const std::string& detail) {
  Aftermath after;
  {
    std::lock_guard lock(mutex);
    if (closed) return;
    if (healthy) {
      if (breaker.probe_succeeded()) {
        counters.reachable = true;
        after.to_log.push_back({"info", "breaker_closed", "health probe answered 200"});
      }
    } else if (breaker.probe_failed()) {
      counters.reachable = false;
      counters.last_error = "health probe: " + detail;
      schedule_probe_locked();
      after.to_log.push_back({"warn", "breaker_open", "health probe failed: " + detail});
    }
  }
  carry_out(after);
}

void RemoteRegisterState::schedule_health_check(Clock::duration after) {
  if (options.health_interval.count() <= 0) return;
  std::lock_guard lock(mutex);
  if (closed) return;
  health_timer.expires_after(after);
  health_timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto state = weak.lock()) state->start_health_check();
  });
}

void RemoteRegisterState::start_health_check() {
  bool breaker_closed = false;
  {
    std::lock_guard lock(mutex);
    if (closed) return;
    breaker_closed = breaker.state() == CircuitBreaker::State::closed;
  }
  // While open or half open the breaker's probe has the say; the check looks again later.
  if (!breaker_closed) return schedule_health_check(options.health_interval);
  ask_health_endpoint(Exchange::Kind::health);
}

void RemoteRegisterState::health_finished(bool healthy, const std::string& detail) {
  Aftermath after;
  {
    std::lock_guard lock(mutex);
    if (closed) return;
    if (healthy != counters.reachable) {
      after.to_log.push_back(healthy ? LogLine{"info", "register_reachable", "health check answered 200"}
                                     : LogLine{"warn", "register_unreachable", "health check: " + detail});
    }
    counters.reachable = healthy;
    if (!healthy) counters.last_error = "health check: " + detail;
  }
  carry_out(after);
  schedule_health_check(options.health_interval);
}

void RemoteRegisterState::shutdown() {
  Aftermath after;
  {
    std::lock_guard lock(mutex);
    if (closed) return;
    closed = true;
    for (auto& connection : idle) after.to_close.push_back(std::move(connection));
    open -= idle.size();
    idle.clear();
    for (auto& waiter : waiters) {
      waiter->timer.cancel();
      after.to_complete.emplace_back(std::move(waiter->exchange),
                                     failure(FetchStatus::unavailable, "register adapter removed"));
    }
    waiters.clear();
    probe_timer.cancel();
    health_timer.cancel();
  }
  carry_out(after);
}

AdapterStatus RemoteRegisterState::status() const {
  std::lock_guard lock(mutex);
  AdapterStatus out = counters;
  out.breaker = std::string(to_string(breaker.state()));
  return out;
}

}  // namespace detail

}  // namespace oncegate::adapters::remote
