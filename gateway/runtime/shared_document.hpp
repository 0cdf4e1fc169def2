#pragma once
// The operators' changes as a cluster's nodes share them (store/config_store.hpp): the overlay
// with every path inside the node's data directory written as ${data_dir}/..., so that each node
// reads it against its own, and the authority certificates the overlay names (public material)
// carried along as PEM. Key material is never carried: keys are files each node has at the same
// place (docs/SCALE-OUT.md).

#include <filesystem>
#include <string>

#include <boost/json/object.hpp>

namespace oncegate::runtime {

// The document for `overlay` of the node whose data directory is `data_dir`.
[[nodiscard]] std::string shared_document(const boost::json::object& overlay, const std::filesystem::path& data_dir,
                                          const std::string& node);

// The overlay of `document` for the node with `data_dir`; the certificates it carries are written
// under <data_dir>/managed/certificates/ first (each checked: its file name is its fingerprint).
// Throws std::runtime_error naming what is wrong.
[[nodiscard]] boost::json::object overlay_from_shared_document(const std::string& document,
                                                               const std::filesystem::path& data_dir);

}  // namespace oncegate::runtime
