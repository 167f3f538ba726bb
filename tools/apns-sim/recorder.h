// Appends one JSON object per request to a file and flushes it at once, so a
// test can read what the simulator saw while it still runs. The line keeps
// every request header, the authorization value included: tests verify the
// provider token independently of the simulator. Never point it at a file a
// production system shares; it holds device tokens and credentials.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "apns-sim/request.h"
#include "apns-sim/simulator.h"

namespace herald::apns_sim {

// The record line for one request, without the trailing newline. Fields:
// time_ms, connection, stream, method, path, token, headers (name -> value;
// repeated names keep the last), payload (string), status, reason (null on
// success), apns_id, timestamp (410 only), fault (injected transport event).
std::string record_line(const Request& request, const Outcome& outcome, int64_t now_ms,
                        uint64_t connection_id, int32_t stream_id);

class Recorder {
 public:
  // Opens (appends to) `path`; check ok() afterwards.
  explicit Recorder(const std::string& path);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  bool ok() const { return file_ != nullptr; }
  void write(const std::string& line);

 private:
  FILE* file_;
};

}  // namespace herald::apns_sim
