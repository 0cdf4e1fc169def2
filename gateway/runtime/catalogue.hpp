#pragma once
// The requester's catalogue (GET /v1/catalogue on the evidence listener): what a registered
// authority needs to write a request that passes, read from the runtime it would be checked by.
// Least privilege: the authority sees the evidence types every register serves, but only the
// permission rules that name it (directly or through a group), never another authority's.

#include <string_view>

#include <boost/json/object.hpp>

#include "gateway/runtime/state.hpp"

namespace oncegate::runtime {

// Format "oncegate-catalogue/1" (docs/INTEGRATION.md "The catalogue").
[[nodiscard]] boost::json::object requester_catalogue(const Runtime& runtime, std::string_view kennung);

}  // namespace oncegate::runtime
