#include "gateway/exchange/checks.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/crypto/crypto.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>
#include <iterator>

namespace oncegate::exchange {

using message::ErrorCode;

std::optional<Rejection> AuthorityCheck::check(ExchangeContext& context) const {
  const auto& fingerprint = context.connection.peer_certificate_fingerprint;
  const trust::Authority* authority = fingerprint.empty() ? nullptr : trust_->by_certificate(fingerprint);
  if (authority == nullptr) {
    return Rejection{ErrorCode::unknown_authority,
                     "the TLS client certificate is not registered to any authority", Outcome::denied};
  }
  const auto& author = context.request().kopf.autor.kennung;
  if (author != authority->kennung) {
    return Rejection{ErrorCode::author_mismatch,
                     "the message names " + author + " as author, but the TLS connection belongs to " +
                         authority->kennung,
                     Outcome::denied};
  }
  context.authority = authority->kennung;
  return std::nullopt;
}

SignatureCheck::SignatureCheck(std::shared_ptr<const trust::TrustStore> trust) : trust_(std::move(trust)) {
  for (const auto& authority : trust_->authorities()) {
    for (const auto& certificate : authority.certificates) keys_.add(certificate.pem);
  }
}

std::optional<Rejection> SignatureCheck::check(ExchangeContext& context) const {
  const auto verdict = message::verify_enveloped_signature(*context.decoded.document, keys_, std::time(nullptr));
  if (!verdict.valid) return Rejection{ErrorCode::signature_invalid, verdict.problem, Outcome::denied};
  const trust::Authority* signer = trust_->by_certificate(verdict.certificate_fingerprint);
  if (signer == nullptr || signer->kennung != context.authority) {
    return Rejection{ErrorCode::signature_invalid,
                     "the message is signed with a certificate of another authority", Outcome::denied};
  }
  context.authentic = true;
  return std::nullopt;
}

std::optional<Rejection> RecipientCheck::check(ExchangeContext& context) const {
  const auto& leser = context.request().kopf.leser;
  if (leser.kennung == gateway_.kennung && leser.verzeichnisdienst == gateway_.verzeichnisdienst) return std::nullopt;
  return Rejection{ErrorCode::wrong_recipient,
                   "the message is addressed to " + (leser.kennung.empty() ? std::string("nobody (no leser)") : leser.kennung) +
                       ", but this gateway is " + gateway_.verzeichnisdienst + " " + gateway_.kennung +
                       ": name it as nachrichtenkopf/leser (GET /v1/catalogue)",
                   Outcome::denied};
}

// A bare UUID in lower case (how the national senders and the load generator write it) is kept as
// its own 16 bytes; any other id (upper case, urn:uuid:, free text) as the first 16 bytes of its
// SHA-256. Two spellings of one UUID stay two ids, as the sender's signature covers the spelling.
ReplayGuard::Key ReplayGuard::key_of(std::string_view id) {
  ReplayGuard::Key key{};
  const bool lower_case = std::none_of(id.begin(), id.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (lower_case && common::is_uuid_text(id)) {
    std::string hex;
    std::copy_if(id.begin(), id.end(), std::back_inserter(hex), [](char c) { return c != '-'; });
    if (const auto bytes = common::from_hex(hex)) {
      std::memcpy(key.bytes.data(), bytes->data(), key.bytes.size());
      return key;
    }
  }
  const std::string digest = crypto::sha256(id);
  std::memcpy(key.bytes.data(), digest.data(), key.bytes.size());
  return key;
}

std::size_t ReplayGuard::KeyHash::operator()(const Key& key) const noexcept {
  std::size_t hash;
  std::memcpy(&hash, key.bytes.data() + 8, sizeof hash);  // the UUID's random part, or a digest
  return hash;
}

ReplayGuard::ReplayGuard(std::chrono::seconds retention)
    : span_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(retention) / (kGenerations - 1) +
            std::chrono::steady_clock::duration(1)) {}

bool ReplayGuard::first_sighting(std::string_view uuid, std::chrono::steady_clock::time_point now) {
  return first_sighting(key_of(uuid), now);
}

bool ReplayGuard::first_sighting(const Key& key, std::chrono::steady_clock::time_point now) {
  Shard& shard = shards_[key.bytes[15] % kShards];
  std::unordered_set<Key, KeyHash> dropped;  // freed after the lock is released
  std::lock_guard lock(shard.mutex);
  if (shard.current_started == std::chrono::steady_clock::time_point{}) shard.current_started = now;
  if (now - shard.current_started >= span_) {
    const auto steps = static_cast<std::size_t>((now - shard.current_started) / span_);
    for (std::size_t i = 0; i < std::min(steps, kGenerations); ++i) {
      shard.current = (shard.current + 1) % kGenerations;
      if (dropped.empty()) {
        dropped.swap(shard.generations[shard.current]);
      } else {
        shard.generations[shard.current].clear();
      }
    }
    shard.current_started += span_ * static_cast<std::chrono::steady_clock::rep>(steps);
  }
  for (const auto& generation : shard.generations) {
    if (generation.contains(key)) return false;
  }
  shard.generations[shard.current].insert(key);
  return true;
}

std::size_t ReplayGuard::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (const auto& generation : shard.generations) total += generation.size();
  }
  return total;
}

std::shared_ptr<ReplayGuard> FreshnessCheck::make_replay_guard(std::chrono::milliseconds window) {
  // A UUID must be remembered as long as a message carrying it could still pass the time check:
  // created up to `window` in the future and accepted up to `window` after that.
  return std::make_shared<ReplayGuard>(std::chrono::duration_cast<std::chrono::seconds>(2 * window) + std::chrono::seconds(1));
}

FreshnessCheck::FreshnessCheck(std::chrono::milliseconds window, std::shared_ptr<ReplayGuard> replay)
    : window_(window), replay_(replay ? std::move(replay) : make_replay_guard(window)) {}

std::optional<Rejection> FreshnessCheck::check(ExchangeContext& context) const {
  const auto& request = context.request();
  const std::string time_field(context.words.issue_time);
  const auto created = parse_xs_datetime(request.kopf.erstellungszeitpunkt);
  if (!created) {
    // Without a zone the instant is not known (xs:dateTime allows it, the profile does not).
    const std::string_view text = request.kopf.erstellungszeitpunkt;
    const bool zoned = text.ends_with('Z') ||
                       (text.size() > 6 && (text[text.size() - 6] == '+' || text[text.size() - 6] == '-') &&
                        text[text.size() - 3] == ':');
    return Rejection{ErrorCode::time_invalid,
                     time_field + " '" + std::string(text.substr(0, 40)) +
                         (zoned ? "' is not a time between 1970 and 2200"
                                : "' has no time zone: write it in UTC with Z (2026-12-02T10:15:30Z) or with an "
                                  "offset (+01:00)"),
                     Outcome::invalid};
  }
  const auto now = std::chrono::system_clock::now();
  const auto skew = now > *created ? now - *created : *created - now;
  if (skew > window_) {
    return Rejection{ErrorCode::stale,
                     time_field + " is more than " +
                         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(window_).count()) +
                         " s away from the gateway's clock",
                     Outcome::denied};
  }
  // Lower case, so the same UUID in another spelling is the same message.
  std::string uuid = request.kopf.nachrichten_uuid;
  for (char& c : uuid) c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  const auto key = ReplayGuard::key_of(uuid);
  context.replay_key = key.bytes;
  if (!replay_->first_sighting(key, std::chrono::steady_clock::now())) {
    return Rejection{ErrorCode::replay, "this " + std::string(context.words.request_id) + " has been used already",
                     Outcome::denied};
  }
  return std::nullopt;
}

std::optional<Rejection> PermissionCheck::check(ExchangeContext& context) const {
  const auto& request = context.request();
  const bool consent = request.einwilligung.value_or(false);
  const auto decision =
      matrix_->decide(context.authority, request.nachweistyp, request.zweck, request.rechtsgrundlage, consent);
  switch (decision.verdict) {
    case trust::PermissionDecision::Verdict::allowed:
      context.permission_rule = decision.rule->id;
      context.withheld_days = decision.rule->withheld_days;
      context.withholding_basis = decision.rule->withholding_basis;
      context.preview_required = decision.rule->preview_required;
      return std::nullopt;
    case trust::PermissionDecision::Verdict::consent_missing:
      return Rejection{ErrorCode::not_permitted,
                       "permission rule '" + decision.rule->id + "' requires " + std::string(context.words.consent),
                       Outcome::denied};
    case trust::PermissionDecision::Verdict::no_rule:
      break;
  }
  // Says which rule is missing; says nothing about the person (checked before any register).
  return Rejection{ErrorCode::not_permitted,
                   "no permission rule allows " + context.authority + " to request '" + request.nachweistyp +
                       "' for purpose '" + request.zweck + "' under legal basis '" + request.rechtsgrundlage + "'",
                   Outcome::denied};
}

namespace {
bool read_int(std::string_view text, std::size_t pos, std::size_t length, int& out) {
  if (pos + length > text.size()) return false;
  const auto* begin = text.data() + pos;
  for (std::size_t i = 0; i < length; ++i) {
    if (begin[i] < '0' || begin[i] > '9') return false;
  }
  return std::from_chars(begin, begin + length, out).ec == std::errc{};
}
}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_xs_datetime(std::string_view text) {
  // YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm)
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 20 || !read_int(text, 0, 4, year) || text[4] != '-' || !read_int(text, 5, 2, month) ||
      text[7] != '-' || !read_int(text, 8, 2, day) || text[10] != 'T' || !read_int(text, 11, 2, hour) ||
      text[13] != ':' || !read_int(text, 14, 2, minute) || text[16] != ':' || !read_int(text, 17, 2, second)) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  long long millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    long long scale = 100;
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      millis += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  int offset_minutes = 0;
  if (pos < text.size() && text[pos] == 'Z' && pos + 1 == text.size()) {
    offset_minutes = 0;
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') && text[pos + 3] == ':') {
    int oh = 0, om = 0;
    if (!read_int(text, pos + 1, 2, oh) || !read_int(text, pos + 4, 2, om) || oh > 14 || om > 59) return std::nullopt;
    offset_minutes = (oh * 60 + om) * (text[pos] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                            std::chrono::day{static_cast<unsigned>(day)}};
  // Outside this range the conversion to the clock's resolution could overflow; no real message
  // is dated there.
  if (!date.ok() || year < 1970 || year > 2200 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  return sys_days{date} + hours{hour} + minutes{minute} + seconds{second} + milliseconds{millis} -
         minutes{offset_minutes};
}

}  // namespace oncegate::exchange
