#pragma once

#include <string>
#include <string_view>

#include "ferry/base/status.h"
#include "ferry/tensor/signature.h"

namespace ferry::registry {

// {"inputs":[{"name":…,"datatype":…,"shape":[…],"features":[…]}],"outputs":[…]}
std::string SignatureJson(const Signature& signature);

// OK when `text` is one JSON object; InvalidArgument otherwise.
Status CheckJsonObject(std::string_view text);

}  // namespace ferry::registry
