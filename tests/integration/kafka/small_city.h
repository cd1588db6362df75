// The small city several integration tests publish: two coffee shops and a climbing gym in
// Manhattan, and eight visits of which six go to "cafe-popular". As topic records, so a test
// can send them with any client.
#pragma once

#include <string>
#include <vector>

namespace locus::itest {

struct Record {
  std::string topic;
  std::string key;
  std::string value;
};

inline std::string Visit(int n, const std::string& user, const std::string& place,
                         const std::string& ts) {
  return R"({"event_id":"ev-)" + std::to_string(n) + R"(","type":"visit","user_id":")" + user +
         R"(","place_id":")" + place + R"(","ts":")" + ts + R"("})";
}

// Two coffee shops and a climbing gym in Manhattan; "cafe-popular" gets most visits.
inline std::vector<Record> SmallCity() {
  std::vector<Record> r;
  r.push_back({"locus.places", "cafe-popular",
               R"({"place_id":"cafe-popular","name":"Popular Cafe","lat":40.7260,"lon":-73.9897,)"
               R"("activities":["Coffee Shop"],"tags":["wifi"]})"});
  r.push_back({"locus.places", "cafe-quiet",
               R"({"place_id":"cafe-quiet","name":"Quiet Cafe","lat":40.7420,"lon":-74.0050,)"
               R"("activities":["Coffee Shop"]})"});
  r.push_back({"locus.places", "gym-rocks",
               R"({"place_id":"gym-rocks","name":"Rock Gym","lat":40.7510,"lon":-73.9950,)"
               R"("activities":["Climbing Gym"]})"});
  int n = 0;
  for (int u = 1; u <= 6; ++u) {
    const std::string user = "user-" + std::to_string(u);
    r.push_back({"locus.events", user,
                 Visit(++n, user, "cafe-popular", "2012-04-03T0" + std::to_string(u) + ":00:00Z")});
  }
  r.push_back(
      {"locus.events", "user-7", Visit(++n, "user-7", "cafe-quiet", "2012-04-03T09:20:00Z")});
  r.push_back(
      {"locus.events", "user-2", Visit(++n, "user-2", "gym-rocks", "2012-04-03T09:30:00Z")});
  return r;
}

}  // namespace locus::itest
