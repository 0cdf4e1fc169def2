#pragma once
// The provider interface for the national Datenschutzcockpit (xsd/oncegate-dsc-1.xsd, docs/DSC.md):
// reading the DSC's signed protokolldatenAnfrage and writing the protokolldatenAntwort. Refusals
// are the national error answer (MessageCodec::write_error). Part of the message module: the only
// code besides codec.cpp and edm/ that reads XML.
//
// Thread safety: a DscCodec is immutable after open(); decode() and write_answer() may run
// concurrently.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/message/codec.hpp"

namespace oncegate::message::dsc {

inline constexpr std::string_view kNamespace = "urn:de:oncegate:dsc:1";
inline constexpr std::size_t kDefaultPage = 50;
inline constexpr std::size_t kMaxPage = 100;

// The schema xsd/oncegate-dsc-1.xsd as compiled into the binary.
[[nodiscard]] std::string_view embedded_dsc_schema() noexcept;

struct DscRequest {
  std::string request_uuid;
  std::string created;        // erstellungszeitpunkt as sent
  std::string sender;         // absender: the DSC's kennung
  std::string idnr;
  std::string from_date;      // zeitraum/von (YYYY-MM-DD), empty when absent
  std::string to_date;        // zeitraum/bis
  std::size_t limit = kDefaultPage;
  std::optional<std::uint64_t> before;  // seite/vor
  std::string continuation;             // seite/fortsetzung: a cluster's cursor over its nodes
};

struct DscDecodeResult {
  std::optional<DscRequest> request;  // set on success
  ErrorCode error = ErrorCode::internal_error;
  std::string error_text;
  std::string request_uuid;  // best effort, also on failure
  std::shared_ptr<ParsedDocument> document;  // set on success (for the signature check)
};

struct DscProof {
  std::string record_bytes;
  std::string salt_hex;
  std::string entry_hex;
  std::uint64_t tree_size = 0;
  std::vector<std::string> path_hex;
};

struct DscEntry {
  std::string node;          // in a cluster: whose log the entry is in (its protokoll's knoten)
  std::uint64_t number = 0;  // the log entry number
  std::int64_t time_ms = 0;
  std::string requester;
  std::string requester_name;
  std::string register_name;
  std::string evidence_type;
  std::string purpose;
  std::string legal_basis;
  std::string outcome;
  std::string code;
  std::vector<std::string> data_fields;
  std::string reference;
  std::optional<DscProof> proof;
};

struct DscAnswer {
  std::string answer_uuid;
  std::string created;  // xs:dateTime
  std::string sender;   // the gateway's kennung
  std::string request_uuid;
  std::string request_digest;
  // One per log the entries are from: one for a single gateway, one per node in a cluster.
  struct Log {
    std::string node;  // empty for a single gateway
    std::string origin;
    std::string vkey;
    std::vector<std::string> witness_vkeys;
    std::size_t witness_quorum = 0;
    std::map<std::uint64_t, std::string> checkpoints;  // size -> signed note
  };
  std::vector<Log> logs;
  std::vector<DscEntry> entries;  // newest first
  std::optional<std::uint64_t> next_before;  // a single gateway's next page
  std::string continuation;                  // a cluster's next page
  std::vector<std::pair<std::string, std::uint64_t>> withheld;  // basis -> count
  std::vector<std::pair<std::string, std::string>> missing_nodes;  // node -> why (ohneAntwort)
};

// What the DSC (the client, tests) reads of an answer.
struct DscAnswerReading {
  bool valid = false;
  std::string problem;
  std::string request_uuid;
  std::string request_digest;
  std::string log_origin;          // the first log's
  std::uint64_t checkpoints = 0;   // over all logs
  std::vector<std::string> nodes;  // the protokoll elements' knoten (cluster answers)
  struct Entry {
    std::string node;
    std::uint64_t number = 0;
    std::string time;
    std::string requester;
    std::string requester_kennung;
    std::string evidence_type;
    std::string outcome;
    bool proven = false;
  };
  std::vector<Entry> entries;
  std::optional<std::uint64_t> next_before;
  std::string continuation;
  std::uint64_t withheld = 0;
  std::vector<std::string> missing_nodes;
};

class DscCodec {
 public:
  // Compiles the embedded schema. Throws MessageError.
  [[nodiscard]] static std::shared_ptr<const DscCodec> open(const CodecOptions& options = {});
  ~DscCodec();
  DscCodec(const DscCodec&) = delete;
  DscCodec& operator=(const DscCodec&) = delete;

  // Parses safely (no DTD, bounded), checks the root and the schema, reads the request.
  [[nodiscard]] DscDecodeResult decode(std::string_view body) const;
  // The unsigned answer (exclusive-C14N form after the XML declaration).
  [[nodiscard]] std::string write_answer(const DscAnswer& answer) const;
  // A request as the DSC sends it, unsigned (the client and the tests).
  [[nodiscard]] std::string write_request(const DscRequest& request) const;
  // Reads (and validates) a protokolldatenAntwort.
  [[nodiscard]] DscAnswerReading read_answer(std::string_view xml) const;
  // Validates a document against the schema: empty when valid, else the first problem.
  [[nodiscard]] std::string validate(std::string_view xml) const;

 private:
  struct Impl;
  explicit DscCodec(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncegate::message::dsc
