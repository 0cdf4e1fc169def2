// The person as the log knows them: a keyed pseudonym of the IDNr.

#include "gateway/common/bytes.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/log/transfer_log.hpp"

namespace oncegate::log {

std::string pseudonym(const std::string& secret, const std::string& idnr) {
  return common::to_hex(crypto::hmac_sha256(secret, idnr));
}

}  // namespace oncegate::log
