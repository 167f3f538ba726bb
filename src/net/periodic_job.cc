#include "net/periodic_job.h"

namespace herald::net {

void PeriodicJob::start() {
  timer_.expires_after(interval_);
  timer_.async_wait([this](std::error_code ec) {
    if (ec) return;  // stopped, or the loop is going away
    work_();
    start();
  });
}

}  // namespace herald::net
