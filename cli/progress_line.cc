#include "cli/progress_line.h"

#include <algorithm>
#include <cmath>

#include "fmt/format.h"

namespace credsim {
namespace {

// UTF-8 code points (every byte that is not a continuation byte).
size_t Columns(const std::string& s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The longest prefix of `s` with at most `cols` code points.
std::string TruncateColumns(const std::string& s, size_t cols) {
  size_t seen = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (seen == cols) return s.substr(0, i);
      ++seen;
    }
  }
  return s;
}

// Names come from scenario files: no control character may reach the terminal.
std::string Printable(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

}  // namespace

std::string FormatDuration(double seconds) {
  if (std::isnan(seconds)) return "--";
  const int64_t s = seconds <= 0 ? 0 : seconds >= 1e15 ? int64_t{1'000'000'000'000'000} : static_cast<int64_t>(seconds);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 100 * 3600) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

std::string FormatRate(double v) {
  if (!(v >= 0)) return "0";
  if (v < 999.5) return fmt::format("{:.0f}", v);
  static constexpr const char* kUnits[] = {"k", "M", "G", "T", "P"};
  double x = v;
  for (const char* unit : kUnits) {
    x /= 1000;
    if (x < 9.95) return fmt::format("{:.1f}{}", x, unit);
    if (x < 999.5) return fmt::format("{:.0f}{}", x, unit);
  }
  return fmt::format("{:.0f}P", x);
}

std::string FormatProgressLine(const ProgressSnapshot& s, double elapsed_seconds, size_t width) {
  const size_t max_cols = width > 1 ? width - 1 : 1;
  double arrivals = s.done_arrivals;
  double work = s.done_expected;
  for (const ProgressSnapshot::Running& r : s.running) {
    arrivals += r.arrivals;
    work += std::min(r.arrivals, r.expected);
  }
  const double elapsed = elapsed_seconds > 0 ? elapsed_seconds : 0;
  const double rate = s.rate >= 0 ? s.rate : elapsed > 0 ? arrivals / elapsed : 0;
  const double remaining = s.total_expected - work;
  const std::string eta = work > 0 && rate > 0 && remaining > 0 ? FormatDuration(remaining / rate) : "--";
  std::string line = fmt::format("[{}/{}] {} req/s, ETA {}", s.runs_done, s.runs_total, FormatRate(rate), eta);
  for (size_t k = 0; k < s.running.size(); ++k) {
    const ProgressSnapshot::Running& r = s.running[k];
    std::string item;
    if (k == 0 || s.running[k - 1].scenario != r.scenario) {
      item = fmt::format("{}{} {}: ", k == 0 ? " | " : "; ", Printable(r.scenario), FormatDuration(r.horizon_seconds));
    } else {
      item = ", ";
    }
    item += Printable(r.strategy);
    if (r.replications > 1) item += fmt::format("#{}", r.replication);
    item += " " + FormatDuration(r.sim_seconds);
    const size_t left = s.running.size() - k - 1;
    const std::string suffix = left > 0 ? fmt::format(" +{}", left) : "";
    const size_t used = Columns(line);
    if (used + Columns(item) + Columns(suffix) <= max_cols) {
      line += item;
      continue;
    }
    if (k == 0 && used + Columns(suffix) + 12 <= max_cols) {
      // The first run is always named, cut to fit ("~" marks the cut).
      line += TruncateColumns(item, max_cols - used - Columns(suffix) - 1) + "~" + suffix;
    } else {
      line += fmt::format(" +{}", s.running.size() - k);
    }
    break;
  }
  return TruncateColumns(line, max_cols);
}

RateWindow::RateWindow(double window_seconds) : window_(window_seconds) { samples_.push_back({0, 0}); }

double RateWindow::Add(double elapsed_seconds, double requests) {
  samples_.push_back({elapsed_seconds, requests});
  // Keep the newest sample at least `window_` old as the start of the window.
  while (samples_.size() > 2 && samples_[1].first <= elapsed_seconds - window_) samples_.pop_front();
  const double dt = elapsed_seconds - samples_.front().first;
  return dt > 0 ? (requests - samples_.front().second) / dt : 0;
}

void ProgressLine::EraseLocked() {
  if (!drawn_) return;
  std::fputs("\r\x1b[K", out_);
  drawn_ = false;
}

void ProgressLine::Draw(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  text_ = text;
  std::fputs(("\r" + text_ + "\x1b[K").c_str(), out_);
  drawn_ = true;
  std::fflush(out_);
}

void ProgressLine::Print(const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  const bool was_drawn = drawn_;
  EraseLocked();
  std::fputs((line + "\n").c_str(), out_);
  if (was_drawn) {
    std::fputs((text_ + "\x1b[K").c_str(), out_);
    drawn_ = true;
  }
  std::fflush(out_);
}

void ProgressLine::Erase() {
  std::lock_guard<std::mutex> lock(mu_);
  EraseLocked();
  std::fflush(out_);
}

}  // namespace credsim
