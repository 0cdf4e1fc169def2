// TLS for remote registers: the same policy as the gateway's listeners, per-register trust.

#include "adapters/remote/internal.hpp"

namespace oncegate::adapters::remote::detail {

[[noreturn]] void reject_adapter(const std::string& name, const std::string& problem) {
  throw AdapterError("adapter '" + name + "' (remote-https): " + problem);
}

std::shared_ptr<asio::ssl::context> make_tls_context(const RemoteRegisterOptions& options) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  context->set_options(asio::ssl::context::default_workarounds |
                       asio::ssl::context::no_compression);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  // As on the gateway's own listeners: forward secrecy and AEAD only (TLS 1.3's suites are all
  // AEAD; this list governs TLS 1.2).
  if (SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
    reject_adapter(options.name, "the TLS cipher list was rejected");
  }
  boost::system::error_code ec;
  // Only this register's CAs: no system trust store, so no other CA can vouch for the register.
  context->load_verify_file(options.ca_file, ec);
  if (ec) {
    reject_adapter(options.name, "cannot load CA file '" + options.ca_file + "': " + ec.message());
  }
  context->set_verify_mode(asio::ssl::verify_peer);
  if (!options.client_certificate_file.empty()) {
    context->use_certificate_chain_file(options.client_certificate_file, ec);
    if (ec) {
      reject_adapter(options.name, "cannot load client certificate '" +
                                       options.client_certificate_file + "': " + ec.message());
    }
    context->use_private_key_file(options.client_key_file, asio::ssl::context::pem, ec);
    if (ec) {
      reject_adapter(options.name,
                     "cannot load client key '" + options.client_key_file + "': " + ec.message());
    }
    if (SSL_CTX_check_private_key(native) != 1) {
      reject_adapter(options.name, "the client key does not match the client certificate");
    }
  }
  return context;
}

}  // namespace oncegate::adapters::remote::detail
