// The live progress line of `credsim run` on a terminal: what it says (FormatProgressLine, a
// pure function of a snapshot and the elapsed wall time, so it is tested without a terminal)
// and how it is drawn (ProgressLine, redrawn in place).
//
// Nothing here reaches the simulation or the results: the snapshot is read from the runs'
// RunProgress (sim/world/run_progress.h), and wall-clock time is used for the line only.
#ifndef CREDSIM_CLI_PROGRESS_LINE_H_
#define CREDSIM_CLI_PROGRESS_LINE_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace credsim {

// How far the runs (scenario x replication x strategy cells) of one `credsim run` have got.
struct ProgressSnapshot {
  struct Running {
    std::string scenario;
    std::string strategy;
    uint64_t replication = 0;   // shown as "#r" when replications > 1
    uint64_t replications = 1;
    double sim_seconds = 0;      // simulated time reached (warm-up included)
    double horizon_seconds = 0;  // warm-up + duration
    double arrivals = 0;         // requests simulated so far
    double expected = 0;         // the work estimate of the run (cli/work_estimate.h)
  };
  std::vector<Running> running;  // in run order
  size_t runs_done = 0;
  size_t runs_total = 0;
  double done_arrivals = 0;   // requests simulated by the finished runs
  double done_expected = 0;   // their estimate
  double total_expected = 0;  // the estimate of every run
  double rate = -1;           // requests/s to show and extrapolate; < 0: the average since the start
};

// One line of at most `width` - 1 columns (the last column is left free so that no terminal
// wraps), no newline:
//   "[3/12] 3.4M req/s, ETA 1m05s | busy-steady 24h00m: l1 7h12m, kv#2 6h01m; b 2h00m: none 5m +1"
// [runs done/runs], requests simulated per second of wall time (s.rate, or the average over
// `elapsed_seconds`), ETA, then the running runs grouped by scenario (its horizon, then each
// run's simulated time), listed while they fit; "+N" counts those left out, and a first run
// too long for the line is cut ("~"). ETA: the remaining estimated requests at that rate;
// work done counts a finished run as its estimate and a running one as its arrivals (capped
// at its estimate); "ETA --" when nothing is done yet or the estimate is exhausted while
// runs remain. Columns are UTF-8 code points; control characters in names become "?".
std::string FormatProgressLine(const ProgressSnapshot& s, double elapsed_seconds,
                               size_t width = 80);

// "0s", "42s", "5m03s", "1h02m", "99h59m", "4d03h" (seconds rounded down).
std::string FormatDuration(double seconds);

// A rate or count in two or three significant digits: "950", "9.5k", "950k", "1.2M", "12M",
// "3.4G".
std::string FormatRate(double v);

// The rate of a growing count over about the last `window_seconds` of samples (from an
// implicit sample (0, 0)): the req/s the line shows, so the ETA follows the current pace
// (fewer runs left than threads, slower strategies) instead of the average since the start.
class RateWindow {
 public:
  explicit RateWindow(double window_seconds = 5);
  // Adds (elapsed, count so far) and returns the rate since the oldest sample kept.
  double Add(double elapsed_seconds, double count);

 private:
  double window_;
  std::deque<std::pair<double, double>> samples_;  // (elapsed, count)
};

// A status line redrawn in place on a terminal: Draw() writes "\r" + text + "\x1b[K" (clear
// to end of line). Print() writes a whole line: it erases the drawn text first and draws it
// again after, so no output line is ever mixed with the status line. Erase() (also done by
// the destructor) leaves the cursor at the start of an empty line. Every call is
// thread-safe and flushes `out`. The caller decides when to draw (at most a few times a second)
// and that `out` is a terminal.
class ProgressLine {
 public:
  explicit ProgressLine(std::FILE* out) : out_(out) {}
  ~ProgressLine() { Erase(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void Draw(const std::string& text);
  void Print(const std::string& line);  // `line` without its newline
  void Erase();

 private:
  void EraseLocked();
  std::mutex mu_;
  std::FILE* out_;
  std::string text_;    // what is drawn now
  bool drawn_ = false;
};

}  // namespace credsim

#endif  // CREDSIM_CLI_PROGRESS_LINE_H_
