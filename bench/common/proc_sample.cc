#include "common/proc_sample.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace herald::bench {

ProcSample sample_process(int pid) {
  ProcSample s;
  if (pid <= 0) return s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  auto close = text.rfind(')');  // the command name may contain spaces
  if (close != std::string::npos) {
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    // Fields after the name start at 3 (state); utime is 14, stime 15.
    unsigned long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stoul(field);
      if (i == 15) stime = std::stoul(field);
    }
    s.cpu_s = double(utime + stime) / double(sysconf(_SC_CLK_TCK));
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kib = std::stol(line.substr(6));
    if (line.rfind("RssAnon:", 0) == 0) s.rss_anon_kib = std::stol(line.substr(8));
  }
  return s;
}

nlohmann::json latency_ms(std::vector<uint32_t>& us) {
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) -> double {
    if (us.empty()) return 0;
    return us[std::min(us.size() - 1, size_t(p * double(us.size())))] / 1000.0;
  };
  return {{"p50", pct(0.50)}, {"p90", pct(0.90)}, {"p99", pct(0.99)},
          {"max", us.empty() ? 0.0 : us.back() / 1000.0}, {"samples", us.size()}};
}

}  // namespace herald::bench
