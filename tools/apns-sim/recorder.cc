#include "apns-sim/recorder.h"

#include <nlohmann/json.hpp>

namespace herald::apns_sim {

std::string record_line(const Request& request, const Outcome& outcome, int64_t now_ms,
                        uint64_t connection_id, int32_t stream_id) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : request.headers) headers[name] = value;
  nlohmann::json line = {
      {"time_ms", now_ms},
      {"connection", connection_id},
      {"stream", stream_id},
      {"method", request.method},
      {"path", request.path},
      {"token", outcome.token},
      {"headers", std::move(headers)},
      {"payload", request.body},
      {"status", outcome.verdict.status},
      {"reason", nullptr},
      {"apns_id", outcome.apns_id},
  };
  if (!outcome.verdict.reason.empty()) line["reason"] = outcome.verdict.reason;
  if (outcome.verdict.timestamp_ms) line["timestamp"] = *outcome.verdict.timestamp_ms;
  if (outcome.transport_fault != FaultKind::kNone) {
    line["fault"] = std::string(fault_name(outcome.transport_fault));
  }
  // Payloads and headers come from the client and need not be UTF-8.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Recorder::Recorder(const std::string& path) : file_(std::fopen(path.c_str(), "ae")) {}

Recorder::~Recorder() {
  if (file_ != nullptr) std::fclose(file_);
}

void Recorder::write(const std::string& line) {
  if (file_ == nullptr) return;
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fputc('\n', file_);
  std::fflush(file_);
}

}  // namespace herald::apns_sim
