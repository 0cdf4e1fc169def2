#include "adapters/transfer_log/protocol_data.hpp"

#include <map>

#include "gateway/common/time.hpp"

namespace oncegate::adapters::transfer_log {

ProtocolDataAdapter::ProtocolDataAdapter(std::function<log::TransferLog&()> log, std::string pseudonym_secret)
    : log_(std::move(log)), secret_(std::move(pseudonym_secret)) {}

void ProtocolDataAdapter::fetch(EvidenceQuery query, std::chrono::steady_clock::time_point, FetchHandler done) {
  counter_.started();
  FetchResult result;
  try {
    const ProtocolQuery page = query.protocol.value_or(ProtocolQuery{});
    const auto& log = log_();
    const std::string pseudonym = log::pseudonym(secret_, query.idnr);
    const std::int64_t now = common::now_ms();
    result.status = FetchStatus::found;
    result.evidence.document = "protokolldaten";
    auto& fields = result.evidence.fields;
    std::size_t listed = 0;
    std::optional<std::uint64_t> next;
    std::map<std::string, std::uint64_t> withheld;
    // The whole period is read: the withheld entries are counted over all of it, and the page's
    // cursor is the last entry listed.
    std::optional<std::uint64_t> cursor;
    for (;;) {
      const auto records = log.by_person(pseudonym, page.from_ms, page.to_ms, 500, cursor);
      for (const auto& r : records.records) {
        if (r.visible_from_ms > now) {
          ++withheld[r.withholding_basis];
          continue;
        }
        if (page.before && r.sequence >= *page.before) continue;
        if (listed == page.limit) {
          if (!next) next = fields.empty() ? std::nullopt : std::optional<std::uint64_t>(std::stoull(fields[fields.size() - 2].second));
          continue;
        }
        fields.emplace_back("eintrag", std::to_string(r.sequence));
        fields.emplace_back("datensatz", r.serialise());
        ++listed;
      }
      if (!records.next_before) break;
      cursor = records.next_before;
    }
    if (next) fields.emplace_back("naechste", std::to_string(*next));
    for (const auto& [basis, count] : withheld) fields.emplace_back("zurueckgehalten", std::to_string(count) + "\t" + basis);
  } catch (const std::exception& failure) {
    counter_.failed();
    result = FetchResult{FetchStatus::unavailable, {}, std::string("the transfer log could not be read: ") + failure.what()};
  }
  done(std::move(result));
}

}  // namespace oncegate::adapters::transfer_log
