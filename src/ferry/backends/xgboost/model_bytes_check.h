#pragma once

#include <string_view>

#include "ferry/base/status.h"

// Structural checks Ferry runs on a model file's bytes before XGBoost sees
// them. XGBoost 1.7's readers trust their input: its UBJ reader reads past
// the end of a truncated buffer (segfaults, or loops allocating without
// bound), and both readers recurse once per nesting level, so a deeply
// nested document overflows the stack. These checks make every input that
// would reach those paths an error Status instead.
//
// Pure functions of the bytes; thread-safe. Messages give a byte offset but
// not the file name (the caller adds it).
namespace ferry::backends::xgboost {

// Deepest object/array nesting accepted. XGBoost's own models nest about 7
// levels deep.
inline constexpr int kMaxModelNesting = 64;

// OK when `bytes` is one complete UBJ document in the subset XGBoost 1.7
// writes and reads: a top-level object; keys and strings with an 'L' length;
// values Z T F i U C I l L d S, objects, and arrays (plain, '#'-counted, or
// '$'-typed with element type d U l L); every length within the buffer;
// nesting at most kMaxModelNesting. Bytes after the top-level object are
// ignored, as XGBoost ignores them. DataLoss otherwise.
Status CheckUbjModel(std::string_view bytes);

// OK when `bytes` starts like an XGBoost JSON model ('{', then after any
// white space a '"' — the test XGBoost uses to tell JSON from UBJ in a
// buffer) and its object/array nesting (outside strings) stays within
// kMaxModelNesting. Whether the JSON is otherwise well formed is left to
// XGBoost's parser, which checks bounds. DataLoss otherwise.
Status CheckJsonModel(std::string_view bytes);

}  // namespace ferry::backends::xgboost
