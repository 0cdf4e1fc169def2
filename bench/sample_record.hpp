#pragma once
// A transfer record as the gateway writes one for a delivered Geburtsurkunde, for the benchmarks
// that append to a real log (ceiling_bench, transparency_bench): the same sizes and shapes.

#include <cstdint>
#include <string>

#include "gateway/crypto/crypto.hpp"
#include "gateway/log/transfer_log.hpp"

namespace oncegate::bench {

inline log::TransferRecord sample_transfer_record(std::uint64_t i) {
  log::TransferRecord r;
  r.request_uuid = crypto::new_uuid();
  r.requester = "psw:0100311" + std::to_string(i % 3);
  r.register_adapter = "personenstand";
  r.register_name = "Personenstandsregister (Beispiel)";
  r.evidence_type = "geburtsurkunde";
  r.purpose = "leistungsgewaehrung";
  r.legal_basis = "IDNrG § 6 Abs. 2";
  r.permission_rule = "demo-hannover";
  r.outcome = "delivered";
  r.answer_digest = crypto::sha256_base64(r.request_uuid);
  r.latency_us = 1234;
  r.pseudonym = crypto::sha256_hex(std::to_string(i % 5000));
  return r;
}

}  // namespace oncegate::bench
