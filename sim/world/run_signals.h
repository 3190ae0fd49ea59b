// RunSignals: the one list of what a strategy's run reports. Every value of a strategy entry
// in results.json (besides its name, kind and params), every time-series column of
// timeseries.csv and every row of the per-strategy table in docs/results.md is one entry of
// RunSignals(), in that order. To add a metric: add a RunMetrics field (written by whoever
// observes the event) and one RunSignal entry here; results.json, the CSV and the docs table
// follow (cli/results_test.cc fails until docs/results.md is regenerated).
//
// Contract:
//  * A signal's key is its path in the strategy entry, components joined by '.', e.g.
//    "errors.403" is results.json strategies[i].errors["403"]. Keys are unique and none is a
//    prefix component of another (a key names a leaf).
//  * kind says how the value arises: kCounter counts events in the window, kGauge is a
//    quantity accumulated or tracked over the window (a peak, a sum of seconds), kHistogram
//    is a distribution (written as its CDF), kSeries is one value per time-series bucket
//    (written as an array; the columns of timeseries.csv), kDerived is computed at the end
//    from other signals and the prices (ratios, percentiles, costs).
//  * Counters, gauges and derived signals have a scalar reader: an integer or a real value,
//    the latter written rounded to `digits` decimals. Histograms name a RunMetrics histogram
//    and the factor from its recorded unit to the signal's unit; series name a RunMetrics
//    time series (null: the bucket-start axis "t_s").
//  * Readers run once per strategy at the end of a run: the hot paths never see this list
//    (adapters write RunMetrics fields directly). No reader allocates.
#ifndef CREDSIM_SIM_WORLD_RUN_SIGNALS_H_
#define CREDSIM_SIM_WORLD_RUN_SIGNALS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sim/engine/histogram.h"
#include "sim/engine/metrics.h"
#include "sim/world/run_metrics.h"
#include "sim/world/world_config.h"

namespace credsim {

enum class SignalKind : uint8_t { kCounter, kGauge, kHistogram, kSeries, kDerived };
std::string_view SignalKindName(SignalKind kind);

// A scalar signal's value: an integer, or a real number (rounded when written).
struct SignalValue {
  static constexpr SignalValue Integer(uint64_t v) { return SignalValue{true, v, 0}; }
  static constexpr SignalValue Real(double v) { return SignalValue{false, 0, v}; }
  bool integer;
  uint64_t count;
  double real;
};

// What scalar readers see: the run's measurements and the prices of the scenario.
struct SignalInputs {
  const RunMetrics& metrics;
  const PricingConfig& pricing;
};

struct RunSignal {
  std::string_view key;      // path in the strategy entry, '.'-separated
  SignalKind kind;
  std::string_view unit;
  std::string_view meaning;  // one line of Markdown, for docs/results.md
  // Counters, gauges, derived signals.
  SignalValue (*scalar)(const SignalInputs&) = nullptr;
  int digits = 6;  // decimals of a real value in results.json
  // Histograms: written as up to kCdfPoints [value * scale, cumulative fraction] pairs.
  const Histogram RunMetrics::*histogram = nullptr;
  double scale = 1;
  // Series (null with kSeries: the bucket-start axis, in seconds).
  const TimeSeries RunMetrics::*series = nullptr;
};

inline constexpr size_t kCdfPoints = 200;

// The signals, in results.json / docs order.
std::span<const RunSignal> RunSignals();

// The docs/results.md table of the signals (header included, one row per signal, each line
// ending in '\n'): | key | kind | unit | meaning |.
std::string RunSignalsMarkdown();

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_RUN_SIGNALS_H_
