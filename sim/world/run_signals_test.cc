// RunSignals: the list's own invariants (keys name leaves, readers present, one-line meanings).
#include "sim/world/run_signals.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace credsim {
namespace {

TEST(RunSignalsTest, KeysAreUniqueLeaves) {
  std::set<std::string> keys;
  for (const RunSignal& s : RunSignals()) {
    EXPECT_TRUE(keys.insert(std::string(s.key)).second) << "duplicate " << s.key;
  }
  for (const std::string& k : keys) {
    for (const std::string& other : keys) {  // no key is an object holding another
      EXPECT_NE(other.rfind(k + ".", 0), 0u) << k << " holds " << other;
    }
    EXPECT_FALSE(k.empty());
    EXPECT_NE(k.front(), '.');
    EXPECT_NE(k.back(), '.');
  }
}

TEST(RunSignalsTest, EverySignalCanBeReadAndDocumented) {
  for (const RunSignal& s : RunSignals()) {
    SCOPED_TRACE(std::string(s.key));
    EXPECT_FALSE(s.unit.empty());
    EXPECT_FALSE(s.meaning.empty());
    for (std::string_view text : {s.key, s.unit, s.meaning}) {
      EXPECT_EQ(text.find('\n'), std::string_view::npos);
      EXPECT_EQ(text.find('|'), std::string_view::npos);  // would split the docs table cell
    }
    switch (s.kind) {
      case SignalKind::kCounter:
      case SignalKind::kGauge:
      case SignalKind::kDerived:
        EXPECT_NE(s.scalar, nullptr);
        break;
      case SignalKind::kHistogram:
        EXPECT_NE(s.histogram, nullptr);
        break;
      case SignalKind::kSeries:
        EXPECT_EQ(s.key.rfind("timeseries.", 0), 0u);  // the CSV takes these
        break;
    }
  }
}

TEST(RunSignalsTest, SeriesStartWithTheTimeAxis) {
  const RunSignal* first = nullptr;
  for (const RunSignal& s : RunSignals()) {
    if (s.kind == SignalKind::kSeries && first == nullptr) first = &s;
  }
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->key, "timeseries.t_s");
  EXPECT_EQ(first->series, nullptr);
}

TEST(RunSignalsTest, CountersReadTheirFieldsAndRatiosOfNothingAreZero) {
  RunMetrics m(Time(), Time() + Duration::Hours(1), Duration::Minutes(1));
  const PricingConfig pricing;
  const SignalInputs in{m, pricing};
  m.kv_reads = 3;
  for (const RunSignal& s : RunSignals()) {
    if (s.scalar == nullptr) continue;
    const SignalValue v = s.scalar(in);
    if (s.key == "kv.reads") {
      EXPECT_EQ(v.count, 3u);
    }
    if (s.key == "hit_ratio.kv" || s.key == "hit_ratio.l1" || s.key == "error_ratio") {
      EXPECT_FALSE(v.integer);
      EXPECT_EQ(v.real, 0);
    }
    if (s.key == "cost_usd.kv_reads") {
      EXPECT_DOUBLE_EQ(v.real, 3 * 0.5e-6);
    }
  }
}

TEST(RunSignalsTest, MarkdownHasOneRowPerSignal) {
  const std::string md = RunSignalsMarkdown();
  size_t rows = 0;
  for (size_t p = md.find("\n| `"); p != std::string::npos; p = md.find("\n| `", p + 1)) ++rows;
  EXPECT_EQ(rows, RunSignals().size());
  EXPECT_NE(md.find("| `errors.403` | counter | requests | failed with 403"), std::string::npos);
}

}  // namespace
}  // namespace credsim
