// A push module as the app server's decision logic sees it: a name that
// publishes select through publish-options 'pushModule' (e.g. monalProdiOS),
// whether it serves publishes that name none, and the Upstream that sends
// its pushes. How the Upstream is configured (APNs topic, environment,
// credentials; FCM project) is the upstream's business, not the app server's.
#pragma once

#include <memory>
#include <string>

#include "push/upstream.h"

namespace herald::push {

enum class UpstreamKind { apns, fcm };

struct PushModuleConfig {
  std::string name;
  UpstreamKind kind = UpstreamKind::apns;
  // Serves publishes without a pushModule (at most one module should be).
  bool is_default = false;
  std::shared_ptr<Upstream> upstream;
};

}  // namespace herald::push
