#include "gateway/trust/trust_store.hpp"
#include "gateway/crypto/x509.hpp"
#include "gateway/common/bytes.hpp"


namespace oncegate::trust {

namespace {

// The crypto module's readers, with this module's error type.
crypto::X509Ptr read_certificate(std::string_view pem) {
  try {
    return crypto::read_pem_certificate(pem);
  } catch (const crypto::CryptoError& error) {
    throw TrustError(error.what());
  }
}

RegisteredCertificate registered(X509* certificate, std::string_view pem) {
  try {
    auto facts = crypto::describe(certificate);
    return RegisteredCertificate{std::move(facts.fingerprint), std::string(pem), std::move(facts.subject),
                                 facts.not_before, facts.not_after};
  } catch (const crypto::CryptoError&) {
    throw TrustError("unreadable certificate validity");
  }
}

}  // namespace

RegisteredCertificate describe_certificate(std::string_view pem) {
  const auto cert = read_certificate(pem);
  return registered(cert.get(), pem);
}

std::shared_ptr<const TrustStore> TrustStore::build(const std::string& ca_bundle_pem,
                                                    const std::vector<AuthorityInput>& authorities,
                                                    const std::vector<EuRequester>& eu_requesters) {
  const auto cas = [&] {
    try {
      return crypto::CaBundle::from_pem(ca_bundle_pem);
    } catch (const crypto::CryptoError& error) {
      throw TrustError(error.what());
    }
  }();
  auto trust = std::make_shared<TrustStore>();
  for (const auto& input : authorities) {
    if (input.kennung.empty()) throw TrustError("an authority without kennung");
    if (trust->by_kennung_.contains(input.kennung)) throw TrustError("authority " + input.kennung + " registered twice");
    if (input.certificate_pems.empty()) throw TrustError("authority " + input.kennung + " has no certificate");
    Authority authority{input.kennung, input.name.empty() ? input.kennung : input.name, {}};
    for (const auto& pem : input.certificate_pems) {
      const auto cert = read_certificate(pem);
      RegisteredCertificate certificate = registered(cert.get(), pem);
      if (const std::string problem = cas.chain_problem(cert.get()); !problem.empty()) {
        throw TrustError("certificate of " + input.kennung + " (" + certificate.subject + ") does not chain to the CA: " +
                         problem);
      }
      if (trust->by_fingerprint_.contains(certificate.fingerprint)) {
        throw TrustError("certificate " + certificate.subject + " is registered twice");
      }
      trust->by_fingerprint_[certificate.fingerprint] = trust->authorities_.size();
      authority.certificates.push_back(std::move(certificate));
    }
    trust->by_kennung_[authority.kennung] = trust->authorities_.size();
    trust->authorities_.push_back(std::move(authority));
  }
  for (const auto& requester : eu_requesters) {
    if (requester.agent.empty()) throw TrustError("an EU requester without agent");
    if (trust->by_agent(requester.agent) != nullptr) throw TrustError("EU requester " + requester.agent + " registered twice");
    for (const auto& party : requester.parties) {
      if (!trust->by_kennung_.contains(party)) {
        throw TrustError("EU requester " + requester.agent + " names the party " + party + ", which is no registered authority");
      }
    }
    trust->by_agent_[requester.agent] = trust->eu_requesters_.size();
    trust->eu_requesters_.push_back(requester);
  }
  return trust;
}

const EuRequester* TrustStore::by_agent(std::string_view agent) const noexcept {
  const auto it = by_agent_.find(std::string(agent));
  return it == by_agent_.end() ? nullptr : &eu_requesters_[it->second];
}

bool TrustStore::speaks_for(std::string_view kennung, std::string_view agent) const noexcept {
  const EuRequester* requester = by_agent(agent);
  if (requester == nullptr) return false;
  for (const auto& party : requester->parties) {
    if (party == kennung) return true;
  }
  return false;
}

const Authority* TrustStore::by_certificate(std::string_view fingerprint) const noexcept {
  auto it = by_fingerprint_.find(std::string(fingerprint));
  return it == by_fingerprint_.end() ? nullptr : &authorities_[it->second];
}

const Authority* TrustStore::by_kennung(std::string_view kennung) const noexcept {
  auto it = by_kennung_.find(std::string(kennung));
  return it == by_kennung_.end() ? nullptr : &authorities_[it->second];
}

}  // namespace oncegate::trust
