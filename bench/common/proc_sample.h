// What the load generators read about a process from /proc, and the latency
// summary they print. Shared by bench/loadgen and bench/c2s-loadgen.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace herald::bench {

struct ProcSample {
  double cpu_s = 0;       // user + system time (/proc/PID/stat fields 14, 15)
  long rss_kib = 0;       // VmRSS (/proc/PID/status)
  long rss_anon_kib = 0;  // RssAnon: the heap and stacks, without mapped files
};

// Zeros when pid <= 0 or the process is gone.
ProcSample sample_process(int pid);

// {"p50", "p90", "p99", "max"} in milliseconds and "samples", from
// latencies in microseconds (sorts them).
nlohmann::json latency_ms(std::vector<uint32_t>& samples_us);

}  // namespace herald::bench
