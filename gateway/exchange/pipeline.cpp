#include "gateway/exchange/pipeline.hpp"
#include "gateway/oplog/oplog.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "gateway/routing/idnr.hpp"

namespace oncegate::exchange {

namespace asio = boost::asio;
using message::ErrorCode;

namespace {

using Clock = std::chrono::steady_clock;

std::uint32_t micros_since(Clock::time_point start) {
  return static_cast<std::uint32_t>(std::min<std::int64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count(), UINT32_MAX));
}

// A stage that ran counts at least 1 us: zero means "not reached" to the metrics, and a
// permission check can take less than a microsecond.
// The id under which the shared window keeps a request: the node's own key, as hex.
std::string shared_replay_id(const std::array<unsigned char, 16>& key) {
  return common::to_hex(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

void add_stage(ExchangeContext* context, Stage stage, std::uint32_t micros) {
  if (context != nullptr) context->stage_us[static_cast<std::size_t>(stage)] += std::max<std::uint32_t>(micros, 1);
}

}  // namespace

std::string_view stage_name(Stage stage) noexcept {
  switch (stage) {
    case Stage::parse: return "parse";
    case Stage::verify: return "verify";
    case Stage::permission: return "permission";
    case Stage::adapter: return "adapter";
    case Stage::sign: return "sign";
    case Stage::log: return "log";
    case Stage::count: break;
  }
  return "unknown";
}

std::string correlation_id_for(std::string_view offered) {
  const bool well_formed = !offered.empty() && offered.size() <= 64 &&
                           std::all_of(offered.begin(), offered.end(), [](char c) {
                             return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                    c == '.' || c == '_' || c == '-';
                           });
  if (well_formed) return std::string(offered);
  // Not a secret, only unique enough to find one request in the operation log.
  thread_local std::mt19937_64 generator{std::random_device{}()};
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(generator()),
                static_cast<unsigned long long>(generator()));
  return text;
}

std::string_view outcome_name(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::delivered: return "delivered";
    case Outcome::denied: return "denied";
    case Outcome::not_found: return "not_found";
    case Outcome::register_failed: return "register_failed";
    case Outcome::invalid: return "invalid";
  }
  return "invalid";
}

std::optional<Rejection> IdnrCheck::check(ExchangeContext& context) const {
  const auto error = routing::check_idnr(context.request().idnr);
  if (error == routing::IdnrError::ok) return std::nullopt;
  return Rejection{ErrorCode::idnr_invalid,
                   "the IDNr is not valid: " + std::string(routing::describe(error)), Outcome::invalid};
}

std::optional<Rejection> EvidenceTypeRoutedCheck::check(ExchangeContext& context) const {
  const auto& type = context.request().nachweistyp;
  if (routes_->knows_type(type)) return std::nullopt;
  return Rejection{ErrorCode::no_register,
                   "no register holds evidence of type '" + type + "' (GET /v1/catalogue lists the types)",
                   Outcome::invalid};
}

// An answer waiting for its transfer record, racing the log deadline. Strand only.
struct LogWait {
  LogWait(const asio::any_io_executor& strand, std::chrono::milliseconds deadline) : timer(strand, deadline) {}
  asio::steady_timer timer;
  bool answered = false;
};

// One adapter call racing its deadline. Lives on the connection's strand: the adapter's
// completion and the timer are both posted there, so whichever comes first wins without locks.
struct ExchangePipeline::Pending {
  std::shared_ptr<const ExchangePipeline> pipeline;
  std::shared_ptr<ExchangeContext> context;
  adapters::RegisterAdapter* adapter;
  asio::steady_timer timer;
  ExchangeDone done;
  Clock::time_point started = Clock::now();
  bool finished = false;

  Pending(std::shared_ptr<const ExchangePipeline> p, std::shared_ptr<ExchangeContext> c,
          adapters::RegisterAdapter* a, asio::any_io_executor strand, ExchangeDone d)
      : pipeline(std::move(p)), context(std::move(c)), adapter(a), timer(std::move(strand)), done(std::move(d)) {}

  void complete(adapters::FetchResult result) {
    if (finished) return;  // the deadline already answered; a late register answer is dropped
    finished = true;
    timer.cancel();
    add_stage(context.get(), Stage::adapter, micros_since(started));
    const auto& request = context->request();
    ExchangeResult answer;
    switch (result.status) {
      case adapters::FetchStatus::found:
        answer = pipeline->answer_result(*context, *adapter, result.evidence);
        break;
      case adapters::FetchStatus::not_found:
        // Same words whatever the reason: the requester learns nothing beyond "no evidence".
        answer = pipeline->error_result(context.get(), ErrorCode::not_found,
                                        "the register holds no " + request.nachweistyp + " for " +
                                            std::string(context->legal_entity ? "this company" : context->words.subject),
                                        Outcome::not_found);
        break;
      case adapters::FetchStatus::timeout:
        answer = pipeline->error_result(context.get(), ErrorCode::timeout, "the register did not answer in time",
                                        Outcome::register_failed);
        break;
      case adapters::FetchStatus::unavailable:
        answer = pipeline->error_result(context.get(), ErrorCode::register_unavailable,
                                        "the register is not available, try again later", Outcome::register_failed);
        break;
    }
    answer.register_adapter = adapter->name();
    answer.register_name = adapter->register_name();
    done(std::move(answer));
  }
};

ExchangePipeline::ExchangePipeline(PipelineOptions options, std::shared_ptr<const MessageFamily> family,
                                   std::shared_ptr<const routing::RoutingTable> routes,
                                   std::vector<std::unique_ptr<RequestCheck>> checks, TransferRecorder recorder)
    : options_(std::move(options)), family_(std::move(family)), routes_(std::move(routes)),
      checks_(std::move(checks)), recorder_(std::move(recorder)) {
  if (options_.accepted_media_types.empty()) options_.accepted_media_types.push_back("application/xml");
}

LocationCache::LocationCache(std::chrono::milliseconds ttl) : ttl_(ttl), key_(crypto::random_bytes(32)) {}

std::string LocationCache::key_of(std::string_view idnr) const { return crypto::hmac_sha256(key_, idnr); }

std::optional<std::string> LocationCache::find(std::string_view idnr) {
  if (ttl_.count() <= 0) return std::nullopt;
  const std::string key = key_of(idnr);
  Shard& shard = shards_[static_cast<unsigned char>(key[0]) % kShards];
  std::lock_guard lock(shard.mutex);
  const auto it = shard.entries.find(key);
  if (it == shard.entries.end()) return std::nullopt;
  if (it->second.second <= std::chrono::steady_clock::now()) {
    shard.entries.erase(it);
    return std::nullopt;
  }
  return it->second.first;
}

void LocationCache::remember(std::string_view idnr, std::string region) {
  if (ttl_.count() <= 0) return;
  const std::string key = key_of(idnr);
  Shard& shard = shards_[static_cast<unsigned char>(key[0]) % kShards];
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(shard.mutex);
  // Bounded: expired entries go first, and a full shard starts afresh rather than grow.
  if (shard.entries.size() >= kMaxPerShard) {
    std::erase_if(shard.entries, [&](const auto& entry) { return entry.second.second <= now; });
    if (shard.entries.size() >= kMaxPerShard) shard.entries.clear();
  }
  shard.entries[key] = {std::move(region), now + ttl_};
}

std::optional<std::string> ExchangePipeline::locate(std::string_view idnr) const {
  if (!options_.locator) return std::nullopt;
  if (options_.location_cache) {
    if (auto cached = options_.location_cache->find(idnr)) return cached;
  }
  auto region = options_.locator->region_of(idnr);
  if (region && options_.location_cache) options_.location_cache->remember(idnr, *region);
  return region;
}

void ExchangePipeline::finish(std::shared_ptr<ExchangeContext> context, ExchangeResult result,
                              asio::any_io_executor strand, ExchangeDone done) const {
  // The tree belongs to this (the parsing) thread: libxml2's name dictionaries are per thread, so
  // it must not be freed on the log's writer thread.
  context->decoded.document.reset();
  if (!context->authentic) {
    // Not the authority's own message: no transfer, nothing under any person.
    if (options_.on_refused && result.error) {
      options_.on_refused(context->connection, context.get(), *result.error, context->correlation_id);
    }
    return done(std::move(result));
  }
  if (!recorder_) return done(std::move(result));
  auto self = shared_from_this();
  auto shared_result = std::make_shared<ExchangeResult>(std::move(result));
  // Counts as outstanding work while the record is being written, so a graceful shutdown waits
  // for the answer instead of stopping the I/O threads underneath it.
  auto tracked = asio::prefer(strand, asio::execution::outstanding_work.tracked);
  // The record races the log deadline on the connection's strand: whichever comes first answers.
  auto wait = std::make_shared<LogWait>(strand, options_.log_deadline);
  wait->timer.async_wait([self, context, wait, done](const boost::system::error_code& error) {
    if (error || wait->answered) return;
    wait->answered = true;
    done(self->error_result(context.get(), ErrorCode::log_unavailable,
                            "the transfer log did not confirm the record in time; nothing was released, try again "
                            "later with a new request",
                            Outcome::register_failed));
  });
  recorder_(*context, *shared_result, [self, context, shared_result, tracked, wait, done](bool durable) {
    asio::post(tracked, [self, context, shared_result, wait, done, durable]() mutable {
      if (wait->answered) return;  // the deadline answered already
      wait->answered = true;
      wait->timer.cancel();
      if (durable) return done(std::move(*shared_result));
      // No record, no release: whatever the register delivered stays here.
      done(self->error_result(context.get(), ErrorCode::log_unavailable,
                              "the transfer could not be recorded; nothing was released, try again later with a "
                              "new request",
                              Outcome::register_failed));
    });
  });
}

std::optional<net::HttpResponse> ExchangePipeline::admit_party(const net::ConnectionInfo& connection,
                                                               std::string_view offered_correlation_id) const {
  const auto& fingerprint = connection.peer_certificate_fingerprint;
  if (!fingerprint.empty() && options_.party && options_.party(fingerprint)) return std::nullopt;
  return refuse_from_header(connection, ErrorCode::unknown_authority,
                            "the TLS client certificate is not registered to any authority", Outcome::denied,
                            offered_correlation_id);
}

std::optional<net::HttpResponse> ExchangePipeline::admit_media_type(const net::ConnectionInfo& connection,
                                                                    std::string_view content_type,
                                                                    std::string_view offered_correlation_id) const {
  std::string accepted;
  for (const auto& type : options_.accepted_media_types) {
    if (net::media_type_is(content_type, type)) return std::nullopt;
    accepted += (accepted.empty() ? "" : " or ") + type;
  }
  return refuse_from_header(connection, ErrorCode::unsupported_media_type, "send the request as " + accepted,
                            Outcome::invalid, offered_correlation_id);
}

net::HttpResponse ExchangePipeline::refuse_from_header(const net::ConnectionInfo& connection, ErrorCode code,
                                                       std::string_view text, Outcome outcome,
                                                       std::string_view offered_correlation_id) const {
  // The correlation id is made only for a refusal; an admitted request gets its own once.
  const std::string correlation_id = correlation_id_for(offered_correlation_id);
  auto result = error_result(nullptr, code, text, outcome);
  if (options_.on_refused) options_.on_refused(connection, nullptr, code, correlation_id);
  result.headers.emplace_back("X-Correlation-ID", correlation_id);
  return net::HttpResponse{result.http_status, std::move(result.content_type), std::move(result.body),
                           std::move(result.headers)};
}

void ExchangePipeline::handle(std::string body, std::string content_type, net::ConnectionInfo connection,
                              std::string correlation_id, asio::any_io_executor strand, ExchangeDone done) const {
  auto context = std::make_shared<ExchangeContext>();
  context->body = std::move(body);
  context->content_type = std::move(content_type);
  context->family = std::string(family_->name());
  context->words = family_->words();
  context->connection = std::move(connection);
  context->correlation_id = std::move(correlation_id);
  // Every way out of the exchange passes the transfer log.
  done = [self = shared_from_this(), context, strand, done = std::move(done)](ExchangeResult result) {
    self->finish(context, std::move(result), strand, done);
  };

  auto stage_start = Clock::now();
  // Binds every answer, errors included, to the exact bytes received (bezug/anfrageDigest).
  context->request_digest = crypto::sha256_base64(context->body);
  family_->decode(*context);
  add_stage(context.get(), Stage::parse, micros_since(stage_start));
  if (!context->decoded.ok()) {
    return done(error_result(context.get(), context->decoded.error, context->decoded.error_text,
                             Outcome::invalid));
  }
  for (const auto& check : checks_) {
    stage_start = Clock::now();
    auto rejection = check->check(*context);
    add_stage(context.get(), check->name() == "permission" ? Stage::permission : Stage::verify, micros_since(stage_start));
    if (rejection) {
      // A refused request's id is used up in the whole cluster too, so that it cannot be sent
      // again to another node once, say, a permission is granted.
      if (options_.shared_replay && context->replay_key) {
        options_.shared_replay->remember(shared_replay_id(*context->replay_key), [](store::SharedReplayWindow::Verdict) {});
      }
      return done(error_result(context.get(), rejection->code, rejection->text, rejection->outcome));
    }
  }

  // The parsed tree is not needed past the checks; it is freed here, on the thread that parsed
  // it (libxml2 dictionaries are per parsing thread).
  context->decoded.document.reset();
  after_checks(std::move(context), std::move(strand), std::move(done));
}

void ExchangePipeline::after_checks(std::shared_ptr<ExchangeContext> context, asio::any_io_executor strand,
                                    ExchangeDone done) const {
  if (!options_.shared_replay || !context->replay_key) return route(std::move(context), std::move(strand), std::move(done));
  const auto asked = Clock::now();
  options_.shared_replay->remember(
      shared_replay_id(*context->replay_key), [self = shared_from_this(), context, strand, done = std::move(done), asked](
                              store::SharedReplayWindow::Verdict verdict) mutable {
        asio::post(strand, [self, context = std::move(context), strand, done = std::move(done), asked, verdict]() mutable {
          add_stage(context.get(), Stage::verify, micros_since(asked));
          using Verdict = store::SharedReplayWindow::Verdict;
          if (verdict == Verdict::seen) {
            return done(self->error_result(context.get(), ErrorCode::replay,
                                           "this " + std::string(context->words.request_id) +
                                               " has been used already (at another node of this gateway)",
                                           Outcome::denied));
          }
          if (verdict == Verdict::unavailable && !self->options_.replay_local_when_unavailable) {
            return done(self->error_result(context.get(), ErrorCode::replay_window_unavailable,
                                           "the gateway cannot check now whether this " +
                                               std::string(context->words.request_id) +
                                               " was used before; send the request again with a new one",
                                           Outcome::register_failed));
          }
          self->route(std::move(context), std::move(strand), std::move(done));
        });
      });
}

void ExchangePipeline::route(std::shared_ptr<ExchangeContext> context, asio::any_io_executor strand,
                             ExchangeDone done) const {
  auto& request = *context->decoded.request;
  routing::RouteDecision route = routes_->lookup(request.nachweistyp, request.regionalschluessel);
  if (route.outcome == routing::RouteOutcome::region_required && request.regionalschluessel.empty() &&
      options_.locator) {
    // The register-location service: where the person lives decides which register holds them.
    const auto region = locate(request.idnr);
    if (!region) {
      return done(error_result(context.get(), ErrorCode::no_register,
                               "the register holding evidence of type '" + request.nachweistyp +
                                   "' for this person could not be located",
                               Outcome::not_found));
    }
    request.regionalschluessel = *region;
    route = routes_->lookup(request.nachweistyp, request.regionalschluessel);
  }
  switch (route.outcome) {
    case routing::RouteOutcome::routed:
      return call_adapter(std::move(context), *route.adapter, std::move(strand), std::move(done));
    case routing::RouteOutcome::unknown_type:
      return done(error_result(context.get(), ErrorCode::no_register,
                               "no register holds evidence of type '" + request.nachweistyp + "'",
                               Outcome::invalid));
    case routing::RouteOutcome::region_required:
      return done(error_result(context.get(), ErrorCode::no_register,
                               "evidence of type '" + request.nachweistyp +
                                   "' is held by regional registers: name the region "
                                   "(regionalschluessel)",
                               Outcome::invalid));
    case routing::RouteOutcome::no_region_match:
      return done(error_result(context.get(), ErrorCode::no_register,
                               "no register holds evidence of type '" + request.nachweistyp +
                                   "' for the region given",
                               Outcome::invalid));
  }
}

void ExchangePipeline::call_adapter(std::shared_ptr<ExchangeContext> context,
                                    adapters::RegisterAdapter& adapter, asio::any_io_executor strand,
                                    ExchangeDone done) const {
  auto pending = std::make_shared<Pending>(shared_from_this(), context, &adapter, strand, std::move(done));
  const auto deadline = std::chrono::steady_clock::now() + options_.adapter_deadline;
  pending->timer.expires_at(deadline);
  pending->timer.async_wait([pending](boost::system::error_code ec) {
    if (ec) return;  // cancelled: the register answered first
    pending->complete(adapters::FetchResult{adapters::FetchStatus::timeout, {}, "deadline passed"});
  });
  const auto& request = context->request();
  adapters::EvidenceQuery query{request.idnr, request.nachweistyp, request.regionalschluessel,
                                request.kopf.nachrichten_uuid, context->correlation_id, context->legal_entity,
                                context->protocol};
  try {
    adapter.fetch(std::move(query), deadline, [pending, strand](adapters::FetchResult result) {
      asio::post(strand, [pending, result = std::move(result)]() mutable { pending->complete(std::move(result)); });
    });
  } catch (const std::exception&) {
    asio::post(strand, [pending] {
      pending->complete(adapters::FetchResult{adapters::FetchStatus::unavailable, {}, "adapter threw"});
    });
  }
}

ExchangeResult ExchangePipeline::answer_result(ExchangeContext& context,
                                               const adapters::RegisterAdapter& adapter,
                                               const adapters::Evidence& evidence) const {
  ExchangeResult result;
  const auto start = Clock::now();
  try {
    result = family_->answer(context, adapter, evidence);
  } catch (const std::exception& error) {
    // Evidence that cannot be written, or an answer that cannot be signed: never sent unsigned.
    oplog::write(oplog::Level::error, "answer_failed", {{"family", context.family}, {"reason", error.what()}});
    auto failed = error_result(&context, ErrorCode::register_unavailable,
                               "the register delivered evidence that cannot be passed on",
                               Outcome::register_failed);
    failed.register_adapter = adapter.name();
    failed.register_name = adapter.register_name();
    return failed;
  }
  add_stage(&context, Stage::sign, micros_since(start));
  result.http_status = 200;
  result.outcome = Outcome::delivered;
  result.error.reset();
  result.register_adapter = adapter.name();
  result.register_name = adapter.register_name();
  // Which data left (names, never values), for the citizen's view.
  result.data_fields.clear();
  for (const auto& [name, value] : evidence.fields) result.data_fields.push_back(name);
  return result;
}

ExchangeResult ExchangePipeline::error_result(ExchangeContext* context, ErrorCode code,
                                              std::string_view text, Outcome outcome) const {
  const auto start = Clock::now();
  ExchangeResult result = family_->error(context, code, text);
  add_stage(context, Stage::sign, micros_since(start));
  result.outcome = outcome;
  result.error = code;
  return result;
}

net::HttpResponse ExchangePipeline::render_failure(net::HttpFailure failure) const {
  ErrorCode code = ErrorCode::bad_request;
  std::string_view text = net::describe(failure);
  switch (failure) {
    case net::HttpFailure::bad_request: break;
    case net::HttpFailure::header_too_large:
    case net::HttpFailure::body_too_large: code = ErrorCode::too_large; break;
    case net::HttpFailure::not_found:
      code = ErrorCode::unknown_endpoint;
      text = "no such endpoint; evidence requests go to POST /v1/nachweis, OOTS requests (where enabled) to POST /v1/oots/query";
      break;
    case net::HttpFailure::method_not_allowed: code = ErrorCode::method_not_allowed; break;
    case net::HttpFailure::shutting_down: code = ErrorCode::shutting_down; break;
    case net::HttpFailure::internal_error: code = ErrorCode::internal_error; break;
    case net::HttpFailure::not_implemented: code = ErrorCode::not_implemented; break;
    case net::HttpFailure::expectation_failed: code = ErrorCode::expectation_failed; break;
    case net::HttpFailure::rate_limited: code = ErrorCode::rate_limited; break;
  }
  auto result = error_result(nullptr, code, text, Outcome::invalid);
  return net::HttpResponse{net::http_status(failure), std::move(result.content_type), std::move(result.body),
                           std::move(result.headers)};
}

namespace {

// One family's endpoint: admitted from the header (media type), then handled by the current
// pipeline of that family.
void add_family_route(std::shared_ptr<const PipelineSwitch> self, net::Router& router, const char* path,
                      std::shared_ptr<const ExchangePipeline> (*select)(const Pipelines&)) {
  router.add(
      "POST", path,
      [self, select](net::HttpRequest request, const net::ConnectionInfo& connection, asio::any_io_executor strand,
                     net::Responder respond) {
        auto pipeline = select(*self->pipelines());
        std::string correlation_id = correlation_id_for(request.header("x-correlation-id"));
        if (!pipeline) {
          return respond(self->current()->render_failure(net::HttpFailure::not_found));
        }
        std::string content_type(request.header("content-type"));
        pipeline->handle(std::move(request.body), std::move(content_type), connection, correlation_id,
                         std::move(strand), [respond = std::move(respond), correlation_id](ExchangeResult result) {
                           result.headers.emplace_back("X-Correlation-ID", correlation_id);
                           respond(net::HttpResponse{result.http_status, std::move(result.content_type),
                                                     std::move(result.body), std::move(result.headers)});
                         });
      },
      [self, select](const net::HttpRequest& head, const net::ConnectionInfo& connection) -> std::optional<net::HttpResponse> {
        auto pipeline = select(*self->pipelines());
        if (!pipeline) return std::nullopt;  // answered as an unknown endpoint once read
        return pipeline->admit_media_type(connection, head.header("content-type"), head.header("x-correlation-id"));
      },
      // Failures of this endpoint in its own family (an EDM error for /v1/oots/query).
      [self, select](net::HttpFailure failure) {
        auto pipeline = select(*self->pipelines());
        return (pipeline ? pipeline : self->current())->render_failure(failure);
      });
}

}  // namespace

void PipelineSwitch::register_routes(std::shared_ptr<const PipelineSwitch> self, net::Router& router) {
  add_family_route(self, router, "/v1/nachweis", [](const Pipelines& p) { return p.national; });
  add_family_route(self, router, "/v1/oots/query", [](const Pipelines& p) { return p.oots; });
  add_family_route(self, router, "/v1/dsc/protokolldaten", [](const Pipelines& p) { return p.dsc; });
  // The evidence listener is the registered authorities' alone: every route, before any body is
  // read.
  router.admit_all([self](const net::HttpRequest& head, const net::ConnectionInfo& connection) {
    return self->current()->admit_party(connection, head.header("x-correlation-id"));
  });
  router.add("GET", "/healthz", [](net::HttpRequest, const net::ConnectionInfo&, asio::any_io_executor,
                                   net::Responder respond) {
    respond(net::HttpResponse{200, "application/json", "{\"status\":\"ok\"}\n", {}});
  });
}

}  // namespace oncegate::exchange
