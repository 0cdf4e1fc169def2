#pragma once
// The transfer log as the register of protocol data, for the national Datenschutzcockpit: one
// person's entries (by the keyed pseudonym of the IDNr), newest first, in the period and page the
// query names, leaving out what a permission rule withholds from the citizen and counting it
// instead. Not a configured adapter type: the gateway builds it when the DSC interface is on.
//
// Thread safety: fetch() may run concurrently (the log's reads are).

#include <functional>
#include <string>

#include "gateway/adapter/adapter.hpp"
#include "gateway/log/transfer_log.hpp"

namespace oncegate::adapters::transfer_log {

class ProtocolDataAdapter final : public RegisterAdapter {
 public:
  ProtocolDataAdapter(std::function<log::TransferLog&()> log, std::string pseudonym_secret);

  [[nodiscard]] const std::string& name() const noexcept override { return name_; }
  [[nodiscard]] const std::string& register_name() const noexcept override { return register_name_; }
  // Answers at once (reads on the calling thread; a person's entries are one index range).
  // Evidence fields, in order: ("eintrag", number) and ("datensatz", record) per entry, then
  // ("naechste", number) when older entries follow and ("zurueckgehalten", "count\tbasis").
  void fetch(EvidenceQuery query, std::chrono::steady_clock::time_point deadline, FetchHandler done) override;
  [[nodiscard]] AdapterStatus status() const override { return counter_.status(); }

 private:
  CallCounter counter_;
  std::function<log::TransferLog&()> log_;
  std::string secret_;
  std::string name_ = "transfer-log";
  std::string register_name_ = "Transferprotokoll (oncegate)";
};

}  // namespace oncegate::adapters::transfer_log
