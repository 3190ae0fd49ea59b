#include "sim/world/colos.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace credsim {
namespace {

bool InNorthAmericaOrEurope(int region) {
  const std::string name = kRegionNames[region];
  return name == "wnam" || name == "enam" || name == "weur" || name == "eeur";
}

std::string ParseColos(const char* text, ColoConfig* out) {
  const nlohmann::json j = nlohmann::json::parse(text);
  *out = DefaultColoConfig();
  JsonReader r(j, "world.colos");
  absl::Status s = ParseColoConfig(r, out);
  if (s.ok()) s = r.Finish();
  return std::string(s.message());
}

// Issue 11 item 5: the region of each rank follows a traffic-share target; the old
// colo-count shares with interleaved ranks put the busiest colo and ~30 % of traffic in APAC.
TEST(ColosTest, DefaultRegionTrafficSharesMatchTheTargetWithTheBusiestColosInNaEu) {
  const ColoSet colos(DefaultColoConfig());
  ASSERT_EQ(colos.size(), 330u);
  const auto shares = colos.RegionShares();
  double sum = 0;
  for (int r = 0; r < kRegionCount; ++r) {
    SCOPED_TRACE(kRegionNames[r]);
    EXPECT_NEAR(shares[r], kDefaultRegionTrafficShare[r], 0.001);
    sum += shares[r];
  }
  EXPECT_NEAR(sum, 1.0, 1e-12);
  EXPECT_LT(shares[RegionIndex("apac")], 0.16);
  // The busiest colos (rank 0 carries ~16 % of traffic) are in North America / Europe.
  EXPECT_EQ(colos.busiest_colo(), 0u);
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(InNorthAmericaOrEurope(colos.colo(i).region)) << "rank " << i << " in "
                                                             << kRegionNames[colos.colo(i).region];
  }
  // Every region has colos, and Zipf weights are kept (rank order).
  std::array<int, kRegionCount> count{};
  for (size_t i = 0; i < colos.size(); ++i) {
    ++count[colos.colo(i).region];
    if (i > 0) {
      EXPECT_LT(colos.colo(i).weight, colos.colo(i - 1).weight);
    }
  }
  for (int r = 0; r < kRegionCount; ++r) EXPECT_GT(count[r], 0) << kRegionNames[r];
}

TEST(ColosTest, CustomRegionSharesAreMatchedForOtherCountsAndWeights) {
  ColoConfig c;
  ASSERT_EQ(ParseColos(R"({"count": 200, "weights": {"zipf": 0.8},
                           "region_traffic_share": {"apac": 0.5, "weur": 0.3, "sam": 0.2}})",
                       &c),
            "");
  const ColoSet colos(c);
  const auto shares = colos.RegionShares();
  EXPECT_NEAR(shares[RegionIndex("apac")], 0.5, 0.005);
  EXPECT_NEAR(shares[RegionIndex("weur")], 0.3, 0.005);
  EXPECT_NEAR(shares[RegionIndex("sam")], 0.2, 0.005);
  EXPECT_EQ(shares[RegionIndex("enam")], 0.0);  // absent regions get 0
  EXPECT_EQ(colos.colo(0).region, RegionIndex("apac"));
  // Uniform weights: traffic shares are colo-count shares.
  ColoConfig u;
  ASSERT_EQ(ParseColos(R"({"count": 100, "weights": "uniform",
                           "region_traffic_share": {"wnam": 0.25, "enam": 0.75}})",
                       &u),
            "");
  const ColoSet uc(u);
  int wnam = 0;
  for (size_t i = 0; i < uc.size(); ++i) wnam += uc.colo(i).region == RegionIndex("wnam");
  EXPECT_EQ(wnam, 25);
}

TEST(ColosTest, RegionSharesMustAddUpToOne) {
  ColoConfig c;
  EXPECT_EQ(ParseColos(R"({"region_traffic_share": {"wnam": 0.5, "enam": 0.4}})", &c),
            "world.colos.region_traffic_share: the shares add up to 0.9; expected shares of the "
            "regions wnam, enam, sam, weur, eeur, apac, oc, afr, me adding up to 1 (within "
            "0.001; absent regions are 0)");
  // Within 0.001: normalised.
  ASSERT_EQ(ParseColos(R"({"region_traffic_share": {"wnam": 0.5, "enam": 0.4995}})", &c), "");
  EXPECT_DOUBLE_EQ(c.region_traffic_share[0] + c.region_traffic_share[1], 1.0);
  EXPECT_NE(ParseColos(R"({"region_traffic_share": {"mars": 1}})", &c)
                .find("world.colos.region_traffic_share.mars: unknown key"),
            std::string::npos);
  EXPECT_NE(ParseColos(R"({"region_traffic_share": {"wnam": 1.5}})", &c)
                .find("world.colos.region_traffic_share.wnam"),
            std::string::npos);
  // Absent: the default.
  ASSERT_EQ(ParseColos("{}", &c), "");
  EXPECT_EQ(c.region_traffic_share, kDefaultRegionTrafficShare);
}

// Issue 11 item 9: servers scale with the colo's expected request rate by default.
TEST(ColosTest, ServersScaleWithTheColosRequestRate) {
  ColoConfig c = DefaultColoConfig();
  EXPECT_EQ(c.servers_per_colo, 0);  // by rate
  const double base = 1000;          // requests/s over all colos
  const ColoSet colos(c, base);
  for (size_t i = 0; i < colos.size(); ++i) {
    const double rate = base * colos.traffic_share(i);
    const int expected = std::clamp(static_cast<int>(std::ceil(rate / 25 - 1e-9)), 1, 32);
    ASSERT_EQ(colos.colo(i).servers, expected) << i;
  }
  EXPECT_EQ(colos.colo(0).servers, 7);  // 1000 x 0.157 = 157 requests/s -> ceil(157 / 25)
  EXPECT_EQ(colos.colo(329).servers, 1);
  // Without a rate: one server each (as before).
  const ColoSet idle(c);
  EXPECT_EQ(idle.total_servers(), 330);
  // Capped at max.
  const ColoSet hot(c, 1e6);
  EXPECT_EQ(hot.colo(0).servers, 32);
  // Exact multiples do not round up.
  EXPECT_EQ(ServersForRate(c, 50), 2);
  EXPECT_EQ(ServersForRate(c, 50.001), 3);
  EXPECT_EQ(ServersForRate(c, 0), 1);
  // A fixed count ignores the rate.
  c.servers_per_colo = 3;
  const ColoSet fixed(c, 1e6);
  EXPECT_EQ(fixed.total_servers(), 3 * 330);
}

TEST(ColosTest, ServersPerColoIsAnIntegerOrARateObject) {
  ColoConfig c;
  ASSERT_EQ(ParseColos(R"({"servers_per_colo": 4})", &c), "");
  EXPECT_EQ(c.servers_per_colo, 4);
  ASSERT_EQ(ParseColos(R"({"servers_per_colo": {"requests_per_server": 10, "max": 5}})", &c), "");
  EXPECT_EQ(c.servers_per_colo, 0);
  EXPECT_EQ(c.requests_per_server, 10);
  EXPECT_EQ(c.max_servers_per_colo, 5);
  EXPECT_EQ(ColoSet(c, 100).colo(0).servers, 2);   // 100 x 0.157 / 10 = 1.6 -> 2
  EXPECT_EQ(ColoSet(c, 1000).colo(0).servers, 5);  // 15.7 -> 16, capped at 5
  ASSERT_EQ(ParseColos("{}", &c), "");
  EXPECT_EQ(c.servers_per_colo, 0);
  EXPECT_EQ(c.requests_per_server, 25);
  EXPECT_EQ(c.max_servers_per_colo, 32);
  EXPECT_EQ(ParseColos(R"({"servers_per_colo": 0})", &c),
            "world.colos.servers_per_colo: expected an integer from 1 to 1000 (servers in every "
            "colo) or {\"requests_per_server\": r > 0, \"max\": 1..1000} (servers by the colo's "
            "request rate)");
  EXPECT_NE(ParseColos(R"({"servers_per_colo": {"rps": 3}})", &c)
                .find("world.colos.servers_per_colo.rps: unknown key"),
            std::string::npos);
  // Explicit list entries keep their servers; the others follow servers_per_colo.
  ASSERT_EQ(ParseColos(R"({"list": [{"name": "a", "weight": 9, "servers": 2},
                                    {"name": "b", "weight": 1}]})",
                       &c),
            "");
  const ColoSet listed(c, 1000);  // b: 100 requests/s -> 4 servers
  EXPECT_EQ(listed.colo(0).servers, 2);
  EXPECT_EQ(listed.colo(1).servers, 4);
  EXPECT_NE(ParseColos(R"({"list": [{"name": "a"}, {"name": "a"}]})", &c)
                .find("world.colos.list[1].name: \"a\" is also the name of world.colos.list[0]"),
            std::string::npos);
}

TEST(ColosTest, RoutingIsUniformOrSharded) {
  ColoConfig c;
  ASSERT_EQ(ParseColos("{}", &c), "");
  EXPECT_EQ(c.routing, ColoConfig::Routing::kUniform);
  ASSERT_EQ(ParseColos(R"({"routing": "sharded"})", &c), "");
  EXPECT_EQ(ColoSet(c).routing(), ColoConfig::Routing::kSharded);
  EXPECT_NE(ParseColos(R"({"routing": "hash"})", &c).find("world.colos.routing"), std::string::npos);
}

TEST(ColosTest, FindsColosByName) {
  const ColoSet colos(DefaultColoConfig());
  EXPECT_EQ(colos.Find("colo000"), 0);
  EXPECT_EQ(colos.Find("colo329"), 329);
  EXPECT_EQ(colos.Find("colo330"), -1);
}

}  // namespace
}  // namespace credsim
