#pragma once

#include <chrono>
#include <cstdint>

namespace ferry {

// Milliseconds since the Unix epoch, from the system (wall) clock.
inline int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace ferry
