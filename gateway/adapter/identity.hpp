#pragma once
// Finding a person without being told where: the national identity-data retrieval (names and
// birth date -> IDNr) and the register-location service (IDNr -> the region whose register holds
// the person). Both are adapters behind interfaces, like registers; the gateway ships sample ones
// built from the generated population (adapters/population/identity_index).
//
// Both answer from memory and are called on the I/O threads: implementations must be fast and
// must not block. (A remote identity service would need the asynchronous shape of
// RegisterAdapter::fetch; none is built yet.)
//
// Thread safety: resolve() and region_of() may be called concurrently.

#include <optional>
#include <string>
#include <string_view>

namespace oncegate::adapters {

// What an EU request says about a natural person (eIDAS minimum data set). The eIDAS identifier
// is not part of it: it is no German identifier and is never matched as one.
struct IdentityQuery {
  std::string family_name;
  std::string given_names;
  std::string date_of_birth;   // YYYY-MM-DD
  std::string place_of_birth;  // optional; only its city part ("Hamburg, Germany" -> Hamburg) is used
};

enum class IdentityOutcome { matched, no_match, ambiguous };

struct IdentityMatch {
  IdentityOutcome outcome = IdentityOutcome::no_match;
  std::string idnr;  // set when matched
};

class IdentityResolver {
 public:
  virtual ~IdentityResolver() = default;
  // Names are compared as a German register compares them: case, diacritics (ä = ae, ß = ss) and
  // white space do not matter. The birth place only tells candidates apart.
  [[nodiscard]] virtual IdentityMatch resolve(const IdentityQuery& query) const = 0;
};

class LocationService {
 public:
  virtual ~LocationService() = default;
  // The Regionalschlüssel prefix of the person's current residence (e.g. "03" Niedersachsen),
  // or nullopt when the service does not know the person.
  [[nodiscard]] virtual std::optional<std::string> region_of(std::string_view idnr) const = 0;
};

}  // namespace oncegate::adapters
