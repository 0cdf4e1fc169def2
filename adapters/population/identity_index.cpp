#include "adapters/population/identity_index.hpp"

#include <algorithm>
#include <charconv>

namespace oncegate::adapters::population {

namespace {

// FNV-1a, 64 bits: the same on every machine, so benchmark figures and tests do not depend on the
// standard library's hash.
std::uint64_t fnv1a(std::string_view text, std::uint64_t hash = 0xCBF29CE484222325ULL) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001B3ULL;
  }
  return hash;
}

std::uint64_t person_key(std::string_view family, std::string_view given, std::string_view birth_date) {
  std::uint64_t hash = fnv1a(normalise_name(family));
  hash = fnv1a("\x1f", hash);
  hash = fnv1a(normalise_name(given), hash);
  hash = fnv1a("\x1f", hash);
  return fnv1a(birth_date, hash);
}

// The city part of a birth place: "Hamburg, Germany" -> "hamburg".
std::uint32_t place_hash(std::string_view place) {
  const auto comma = place.find(',');
  return static_cast<std::uint32_t>(fnv1a(normalise_name(place.substr(0, comma))) & 0xFFFFFFu);
}

std::optional<std::uint64_t> idnr_number(std::string_view idnr) {
  std::uint64_t value = 0;
  if (idnr.size() != 11) return std::nullopt;
  const auto [end, ec] = std::from_chars(idnr.data(), idnr.data() + idnr.size(), value);
  if (ec != std::errc{} || end != idnr.data() + idnr.size()) return std::nullopt;
  return value;
}

std::string idnr_text(std::uint64_t value) {
  std::string text = std::to_string(value);
  return std::string(11 - std::min<std::size_t>(11, text.size()), '0') + text;
}

// The base letters of the Latin-1 supplement and Latin Extended-A letters in names.
std::string_view fold(char32_t c) {
  switch (c) {
    case U'ä': case U'Ä': case U'æ': case U'Æ': return "ae";
    case U'ö': case U'Ö': case U'œ': case U'Œ': return "oe";
    case U'ü': case U'Ü': return "ue";
    case U'ß': case U'ẞ': return "ss";
    case U'à': case U'á': case U'â': case U'ã': case U'å': case U'ā': case U'ă': case U'ą':
    case U'À': case U'Á': case U'Â': case U'Ã': case U'Å': case U'Ā': case U'Ă': case U'Ą': return "a";
    case U'ç': case U'ć': case U'č': case U'Ç': case U'Ć': case U'Č': return "c";
    case U'ď': case U'đ': case U'Ď': case U'Đ': case U'ð': case U'Ð': return "d";
    case U'è': case U'é': case U'ê': case U'ë': case U'ē': case U'ė': case U'ę': case U'ě':
    case U'È': case U'É': case U'Ê': case U'Ë': case U'Ē': case U'Ė': case U'Ę': case U'Ě': return "e";
    case U'ğ': case U'Ğ': return "g";
    case U'ì': case U'í': case U'î': case U'ï': case U'ī': case U'į': case U'ı':
    case U'Ì': case U'Í': case U'Î': case U'Ï': case U'Ī': case U'Į': case U'İ': return "i";
    case U'ł': case U'Ł': case U'ľ': case U'Ľ': case U'ĺ': case U'Ĺ': return "l";
    case U'ñ': case U'ń': case U'ň': case U'Ñ': case U'Ń': case U'Ň': return "n";
    case U'ò': case U'ó': case U'ô': case U'õ': case U'ø': case U'ō': case U'ő':
    case U'Ò': case U'Ó': case U'Ô': case U'Õ': case U'Ø': case U'Ō': case U'Ő': return "o";
    case U'ř': case U'Ř': case U'ŕ': case U'Ŕ': return "r";
    case U'ś': case U'š': case U'ş': case U'Ś': case U'Š': case U'Ş': return "s";
    case U'ť': case U'ţ': case U'Ť': case U'Ţ': return "t";
    case U'ù': case U'ú': case U'û': case U'ū': case U'ů': case U'ű': case U'ų':
    case U'Ù': case U'Ú': case U'Û': case U'Ū': case U'Ů': case U'Ű': case U'Ų': return "u";
    case U'ý': case U'ÿ': case U'Ý': case U'Ÿ': return "y";
    case U'ź': case U'ż': case U'ž': case U'Ź': case U'Ż': case U'Ž': return "z";
    case U'þ': case U'Þ': return "th";
    default: return {};
  }
}

}  // namespace

std::string normalise_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool pending_space = false;
  for (std::size_t i = 0; i < name.size();) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    char32_t code = c;
    std::size_t length = 1;
    if (c >= 0xC0 && (c & 0xE0) == 0xC0 && i + 1 < name.size()) {
      code = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(name[i + 1]) & 0x3Fu);
      length = 2;
    } else if ((c & 0xF0) == 0xE0 && i + 2 < name.size()) {
      code = ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(name[i + 1]) & 0x3Fu) << 6) |
             (static_cast<unsigned char>(name[i + 2]) & 0x3Fu);
      length = 3;
    } else if (c >= 0x80) {
      code = 0xFFFD;  // kept as it is, never folded
      length = (c & 0xF8) == 0xF0 ? 4 : 1;
    }
    const std::string_view raw = name.substr(i, std::min(length, name.size() - i));
    i += length;
    if (code == ' ' || code == '\t' || code == '\n' || code == '\r' || code == 0xA0) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    if (code < 0x80) {
      out += static_cast<char>(code >= 'A' && code <= 'Z' ? code - 'A' + 'a' : code);
    } else if (const auto folded = fold(code); !folded.empty()) {
      out += folded;
    } else {
      out += raw;
    }
  }
  return out;
}

IdentityIndex::IdentityIndex(const std::vector<Person>& people) {
  entries_.reserve(people.size());
  for (const auto& person : people) add(person);
  finish();
}

void IdentityIndex::add(const Person& person) {
  const auto number = idnr_number(person.idnr);
  if (!number) return;
  entries_.push_back({person_key(person.familienname, person.vornamen, person.geburtsdatum),
                      (*number << 24) | place_hash(person.geburtsort)});
}

void IdentityIndex::finish() {
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });
  entries_.shrink_to_fit();
}

IdentityMatch IdentityIndex::resolve(const IdentityQuery& query) const {
  const std::uint64_t key = person_key(query.family_name, query.given_names, query.date_of_birth);
  const auto [first, last] = std::equal_range(entries_.begin(), entries_.end(), Entry{key, 0},
                                              [](const Entry& a, const Entry& b) { return a.key < b.key; });
  if (first == last) return {IdentityOutcome::no_match, {}};
  if (last - first == 1) return {IdentityOutcome::matched, idnr_text(first->idnr_and_place >> 24)};
  if (query.place_of_birth.empty()) return {IdentityOutcome::ambiguous, {}};
  const std::uint32_t place = place_hash(query.place_of_birth);
  const Entry* only = nullptr;
  for (auto it = first; it != last; ++it) {
    if ((it->idnr_and_place & 0xFFFFFFu) != place) continue;
    if (only != nullptr) return {IdentityOutcome::ambiguous, {}};
    only = &*it;
  }
  if (only == nullptr) return {IdentityOutcome::ambiguous, {}};
  return {IdentityOutcome::matched, idnr_text(only->idnr_and_place >> 24)};
}

ResidenceLocator::ResidenceLocator(const std::vector<Person>& people) {
  by_idnr_.reserve(people.size());
  for (const auto& person : people) {
    const auto number = idnr_number(person.idnr);
    if (!number || person.wohnort_ags.size() < 2) continue;
    const auto land = static_cast<std::uint8_t>((person.wohnort_ags[0] - '0') * 10 + (person.wohnort_ags[1] - '0'));
    by_idnr_.emplace_back(*number, land);
  }
  std::sort(by_idnr_.begin(), by_idnr_.end());
}

std::optional<std::string> ResidenceLocator::region_of(std::string_view idnr) const {
  const auto number = idnr_number(idnr);
  if (!number) return std::nullopt;
  const auto it = std::lower_bound(by_idnr_.begin(), by_idnr_.end(), std::make_pair(*number, std::uint8_t{0}));
  if (it == by_idnr_.end() || it->first != *number) return std::nullopt;
  const char region[3] = {static_cast<char>('0' + it->second / 10), static_cast<char>('0' + it->second % 10), 0};
  return std::string(region);
}

}  // namespace oncegate::adapters::population
