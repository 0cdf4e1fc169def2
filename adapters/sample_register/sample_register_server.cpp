#include "adapters/sample_register/sample_register_server.hpp"

#include <atomic>
#include <exception>
#include <mutex>
#include <set>
#include <system_error>
#include <utility>

#include <boost/asio/steady_timer.hpp>

#include "gateway/message/register_protocol.hpp"
#include "gateway/net/server.hpp"

namespace oncegate::adapters::sample_register {

namespace {

// connections_seen() is for tests; a long-running server must not grow with every client.
constexpr std::size_t kMaxPeersRemembered = 10000;

net::HttpResponse text(unsigned status, std::string body) {
  net::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

net::HttpResponse render_failure(net::HttpFailure failure) {
  return text(net::http_status(failure), std::string(net::describe(failure)) + "\n");
}

bool all_digits(const std::string& text) {
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

embedded::DocumentKind parse_document_kind(const std::string& text) {
  if (text == "geburtsurkunde") return embedded::DocumentKind::geburtsurkunde;
  if (text == "meldebescheinigung") return embedded::DocumentKind::meldebescheinigung;
  throw SampleRegisterError("unknown document kind '" + text +
                            "' (known: geburtsurkunde, meldebescheinigung)");
}

// What the request handlers share; they hold it by shared_ptr, so it outlives the server's last
// connection whatever the order of destruction.
struct Counters {
  std::atomic<std::uint64_t> queries{0};
  mutable std::mutex mutex;
  std::set<std::string> peers;  // guarded by mutex; capped, see kMaxPeersRemembered
  std::string last_correlation_id;  // guarded by mutex
};

struct SampleRegisterServer::Impl {
  Options options;
  net::Server server;
  std::shared_ptr<const embedded::EmbeddedRegister> register_;
  std::shared_ptr<Counters> counters = std::make_shared<Counters>();

  Impl(Options o, net::ServerOptions server_options)
      : options(std::move(o)), server(server_options) {}
};

SampleRegisterServer::SampleRegisterServer(Options options) {
  if (options.io_threads == 0) options.io_threads = 1;
  if (!options.region.empty() && (options.region.size() > 8 || !all_digits(options.region))) {
    throw SampleRegisterError("region must be 1 to 8 digits (a prefix of the Amtlicher "
                              "Gemeindeschlüssel), got '" + options.region + "'");
  }
  std::error_code error;
  if (!std::filesystem::is_regular_file(options.population, error)) {
    throw SampleRegisterError("population file '" + options.population.string() +
                              "' does not exist or is not a file");
  }
  embedded::SharedPopulation population;
  try {
    population = embedded::load_shared_population(options.population);
  } catch (const std::exception& e) {
    throw SampleRegisterError("cannot load population file '" + options.population.string() +
                              "': " + e.what());
  }

  net::ServerOptions server_options;
  server_options.io_threads = options.io_threads;
  // A test register: in-flight answers get a short while, then the rest is cut.
  server_options.shutdown_grace = std::chrono::seconds(5);
  impl_ = std::make_unique<Impl>(options, server_options);

  const std::string document(embedded::document_name(options.kind));
  embedded::EmbeddedRegister::Options register_options;
  register_options.name = "sample-" + document;
  register_options.register_name = "Beispielregister (" + document + ")";
  register_options.kind = options.kind;
  register_options.region = options.region;
  impl_->register_ = std::make_shared<const embedded::EmbeddedRegister>(
      std::move(register_options), std::move(population), impl_->server.executor());

  auto router = std::make_shared<net::Router>();
  router->add("POST", std::string(message::kRegisterQueryPath),
              [lookup = impl_->register_, counters = impl_->counters,
               latency = options.latency](net::HttpRequest request,
                                          const net::ConnectionInfo& connection,
                                          boost::asio::any_io_executor strand,
                                          net::Responder respond) {
                counters->queries.fetch_add(1);
                {
                  std::lock_guard lock(counters->mutex);
                  if (counters->peers.size() < kMaxPeersRemembered) counters->peers.insert(connection.peer_address);
                  counters->last_correlation_id = std::string(request.header("x-correlation-id"));
                }
                const message::RegisterQueryParse query =
                    message::parse_register_query(request.body);
                net::HttpResponse response;
                if (!query.ok()) {
                  response = text(400, "malformed register query: " + query.error + "\n");
                } else {
                  response.content_type = "application/xml";
                  response.body = message::write_register_answer(lookup->lookup(*query.query), query.query->request_uuid);
                }
                if (latency.count() == 0) return respond(std::move(response));
                // The timer owns itself through its handler; the answer waits on the connection's
                // strand like a slow register's would.
                auto timer = std::make_shared<boost::asio::steady_timer>(strand, latency);
                timer->async_wait([timer, respond = std::move(respond),
                                   response = std::move(response)](
                                      const boost::system::error_code&) mutable {
                  respond(std::move(response));
                });
              });
  router->add("GET", std::string(message::kRegisterHealthPath),
              [counters = impl_->counters](net::HttpRequest, const net::ConnectionInfo& connection,
                                           boost::asio::any_io_executor, net::Responder respond) {
                {
                  std::lock_guard lock(counters->mutex);
                  if (counters->peers.size() < kMaxPeersRemembered) counters->peers.insert(connection.peer_address);
                }
                net::HttpResponse response;
                response.content_type = "application/json";
                response.body = "{\"status\":\"ok\"}";
                respond(std::move(response));
              });

  net::ListenerOptions listener;
  listener.name = "register";
  listener.address = options.address;
  listener.port = options.port;
  listener.tls.certificate_chain_file = options.certificate;
  listener.tls.private_key_file = options.private_key;
  listener.tls.client_ca_file = options.client_ca;
  listener.tls.require_client_certificate = !options.client_ca.empty();
  listener.body_limit = message::kRegisterMaxDocumentBytes;
  impl_->server.add_listener(listener, std::move(router), render_failure);
}

SampleRegisterServer::~SampleRegisterServer() { shutdown(); }

void SampleRegisterServer::start() { impl_->server.start(); }

void SampleRegisterServer::run_until_signal() { impl_->server.run_until_signal(); }

void SampleRegisterServer::shutdown() { impl_->server.shutdown(); }

std::uint16_t SampleRegisterServer::port() const { return impl_->server.port("register"); }

std::size_t SampleRegisterServer::persons() const noexcept { return impl_->register_->size(); }

std::uint64_t SampleRegisterServer::queries_handled() const noexcept {
  return impl_->counters->queries.load();
}

std::size_t SampleRegisterServer::connections_seen() const {
  std::lock_guard lock(impl_->counters->mutex);
  return impl_->counters->peers.size();
}

std::size_t SampleRegisterServer::open_connections() const noexcept {
  return impl_->server.open_connections();
}

std::string SampleRegisterServer::last_correlation_id() const {
  std::lock_guard lock(impl_->counters->mutex);
  return impl_->counters->last_correlation_id;
}

}  // namespace oncegate::adapters::sample_register
