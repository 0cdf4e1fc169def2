#pragma once
// How an exchange becomes a transfer record (IDNrG § 9), and what the operation log and the
// metrics are told of each exchange and of each refusal before trust.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "gateway/app/metrics.hpp"
#include "gateway/exchange/pipeline.hpp"
#include "gateway/log/transfer_log.hpp"

namespace oncegate::app {

// The pseudonym secret (at least 32 bytes, trailing white space dropped). Throws std::exception.
[[nodiscard]] std::string read_pseudonym_secret(const std::filesystem::path& file);
// The same rules on a file's text already read (`file` names it in the error).
[[nodiscard]] std::string pseudonym_secret_from(std::string text, const std::filesystem::path& file);

// One transfer as the log keeps it: who asked whom for what, why, and how it ended; the person
// only as a pseudonym, and only with a valid IDNr; no evidence content.
[[nodiscard]] log::TransferRecord transfer_record(const exchange::ExchangeContext& context,
                                                  const exchange::ExchangeResult& result,
                                                  const std::string& pseudonym_secret);

// Records every exchange durably in the log `log()` returns (asked per exchange: requests arrive
// only once it exists), then counts it and writes its operation-log line (pseudonym only).
[[nodiscard]] exchange::TransferRecorder make_transfer_recorder(std::function<log::TransferLog&()> log,
                                                                std::string pseudonym_secret,
                                                                std::shared_ptr<ExchangeMetrics> metrics);

// Refusals before trust: the operation log (TLS identity, peer, never a sender's value) and the
// metric oncegate_refused_before_trust_total.
[[nodiscard]] exchange::RefusalObserver make_refusal_observer(std::shared_ptr<ExchangeMetrics> metrics);

}  // namespace oncegate::app
