#include "gateway/transparency/witness.hpp"

#include <charconv>
#include <chrono>
#include <stdexcept>

#include "gateway/common/bytes.hpp"
#include "gateway/common/files.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/tlog/checkpoint.hpp"

namespace oncegate::transparency {

namespace {

constexpr std::size_t kMaxProofLines = 63;

WitnessAnswer answer(unsigned status, std::string body) { return WitnessAnswer{status, "text/plain; charset=utf-8", std::move(body)}; }

bool read_decimal(std::string_view text, std::uint64_t& out) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::shared_ptr<const crypto::Ed25519Key> load_or_create_key(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) {
    const auto key = crypto::Ed25519Key::generate();
    std::filesystem::create_directories(file.parent_path());
    common::write_file_atomically(file, key.private_pem(), true);
  }
  return std::make_shared<const crypto::Ed25519Key>(crypto::Ed25519Key::from_pem(common::read_file(file, "Ed25519 key")));
}

Witness::Witness(WitnessOptions options) : options_(std::move(options)) {
  if (!options_.key) throw std::runtime_error("witness: a key is required");
  if (!tlog::valid_key_name(options_.name)) throw std::runtime_error("witness: '" + options_.name + "' is not a valid key name");
  if (!options_.clock) {
    options_.clock = [] {
      return static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    };
  }
  std::filesystem::create_directories(options_.data_dir / "logs");
  for (const auto& log : options_.logs) {
    const auto file = state_file(log.name);
    if (!std::filesystem::exists(file)) continue;
    const auto parsed = tlog::parse_checkpoint_text(common::read_file(file, "witness state"));
    if (!parsed || parsed->origin != log.name) throw std::runtime_error("witness: the state in " + file.string() + " is unreadable");
    state_[log.name] = LogState{parsed->size, parsed->root};
  }
}

std::filesystem::path Witness::state_file(const std::string& origin) const {
  return options_.data_dir / "logs" / crypto::sha256_hex(origin);
}

tlog::VerifierKey Witness::verifier() const { return {options_.name, tlog::kTimestampedEd25519, options_.key->public_key()}; }

std::uint64_t Witness::cosigned_size(const std::string& origin) const {
  std::lock_guard lock(mutex_);
  const auto it = state_.find(origin);
  return it == state_.end() ? 0 : it->second.size;
}

WitnessAnswer Witness::add_checkpoint(std::string_view body) {
  // old <size>\n, up to 63 proof lines, an empty line, the checkpoint (a signed note).
  const auto first = body.find('\n');
  if (first == std::string_view::npos || !body.starts_with("old ")) return answer(400, "the body must begin with \"old <size>\"\n");
  std::uint64_t old_size = 0;
  if (!read_decimal(body.substr(4, first - 4), old_size)) return answer(400, "the old size is not a decimal\n");
  body.remove_prefix(first + 1);
  std::vector<tlog::Hash> proof;
  for (;;) {
    const auto end = body.find('\n');
    if (end == std::string_view::npos) return answer(400, "no empty line before the checkpoint\n");
    const auto line = body.substr(0, end);
    body.remove_prefix(end + 1);
    if (line.empty()) break;
    const auto hash = common::base64_decode(line);
    if (!hash || hash->size() != 32 || proof.size() == kMaxProofLines) return answer(400, "a malformed consistency proof line\n");
    proof.push_back(*hash);
  }
  const auto note = tlog::parse_note(body);
  const auto checkpoint = note ? tlog::parse_checkpoint_text(note->text) : std::nullopt;
  if (!checkpoint) return answer(400, "the checkpoint is not a signed note with origin, size and root\n");
  const tlog::VerifierKey* log_key = nullptr;
  for (const auto& candidate : options_.logs) {
    if (candidate.name == checkpoint->origin) log_key = &candidate;
  }
  if (log_key == nullptr) return answer(404, "this witness does not witness that log\n");
  if (tlog::verified_signature(*note, *log_key) == nullptr) return answer(403, "no signature by the log's key verifies\n");
  if (old_size > checkpoint->size) return answer(400, "the old size is beyond the checkpoint's size\n");

  std::lock_guard lock(mutex_);
  const LogState known = state_.contains(checkpoint->origin) ? state_.at(checkpoint->origin) : LogState{};
  if (old_size != known.size) {
    return WitnessAnswer{409, "text/x.tlog.size", std::to_string(known.size) + "\n"};
  }
  if (old_size == checkpoint->size) {
    if (old_size > 0 && checkpoint->root != known.root) return answer(409, "the same size with another root: a fork\n");
    if (old_size == 0 && !proof.empty()) return answer(422, "the proof from size 0 must be empty\n");
  } else if (old_size == 0) {
    if (!proof.empty()) return answer(422, "the proof from size 0 must be empty\n");
  } else if (!tlog::verify_consistency(old_size, checkpoint->size, known.root, checkpoint->root, proof)) {
    return answer(422, "the consistency proof does not hold: the log is not append-only from what this witness saw\n");
  }
  // Persisted before the cosignature leaves: a restarted witness never cosigns a smaller tree.
  if (checkpoint->size != known.size || known.root.empty()) {
    common::write_file_atomically(state_file(checkpoint->origin), checkpoint->text(), false);
    state_[checkpoint->origin] = LogState{checkpoint->size, checkpoint->root};
  }
  const auto line = tlog::cosign_note_text(note->text, options_.name, *options_.key, options_.clock());
  return answer(200, line.text());
}

void Witness::register_routes(net::Router& router, const std::string& prefix) {
  router.add("POST", prefix + "add-checkpoint",
             [this](net::HttpRequest request, const net::ConnectionInfo&, boost::asio::any_io_executor, net::Responder respond) {
               WitnessAnswer result;
               try {
                 result = add_checkpoint(request.body);
               } catch (const std::exception&) {
                 result = answer(500, "the witness could not record the checkpoint\n");  // nothing cosigned
               }
               net::HttpResponse response;
               response.status = result.status;
               response.content_type = result.content_type;
               response.body = std::move(result.body);
               respond(std::move(response));
             });
}

}  // namespace oncegate::transparency
