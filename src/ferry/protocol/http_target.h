#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

// Reading a request target ("/v2/models/m/infer?x=1").
namespace ferry::protocol {

// The path's segments: the query removed, split at '/', empty segments
// dropped ("/a//b/?q" → {"a", "b"}). Views into `target`.
std::vector<std::string_view> PathSegments(std::string_view target);

// The query's parameters ("?a=1&b" → {a: "1", b: ""}); a repeated name keeps
// its last value. No percent-decoding.
std::map<std::string, std::string> QueryParams(std::string_view target);

}  // namespace ferry::protocol
