#include "sim/world/run_windows.h"

#include <stdexcept>

namespace credsim {

const char* WindowSourceName(WindowSource s) {
  switch (s) {
    case WindowSource::kBurst: return "burst";
    case WindowSource::kStsOutage: return "sts_outage";
    case WindowSource::kRestart: return "restart";
    case WindowSource::kPeriodicRestart: return "periodic_restart";
    case WindowSource::kScenario: return "scenario";
  }
  return "?";
}

RunWindows::RunWindows(std::vector<WindowSpec> specs, Time measure_from, Time measure_to) {
  windows_.reserve(specs.size());
  for (WindowSpec& s : specs) {
    if (!(s.start < s.end)) {
      throw std::invalid_argument("RunWindows: window \"" + s.name + "\" does not end after it starts");
    }
    const Time a = std::max(Time() + s.start, measure_from);
    const Time b = std::min(Time() + s.end, measure_to);
    const bool measured = a < b;
    // A window outside the measurement window keeps its own bounds (reported, not counted).
    const Time from = measured ? a : Time() + s.start;
    const Time to = measured ? b : Time() + s.end;
    windows_.push_back(Window{std::move(s), from, to, measured, WindowCounters{}});
    if (measured) {
      bounds_.push_back(a);
      bounds_.push_back(b);
    }
  }
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  if (bounds_.empty()) return;
  const size_t segments = bounds_.size() - 1;
  offsets_.assign(segments + 1, 0);
  for (size_t j = 0; j < segments; ++j) {
    offsets_[j] = static_cast<uint32_t>(members_.size());
    for (uint32_t w = 0; w < windows_.size(); ++w) {
      const Window& win = windows_[w];
      if (win.measured && win.from <= bounds_[j] && bounds_[j + 1] <= win.to) members_.push_back(w);
    }
  }
  offsets_[segments] = static_cast<uint32_t>(members_.size());
}

}  // namespace credsim
