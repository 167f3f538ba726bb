#include "xmpp/c2s/c2s_features.h"

#include "xmpp/stream.h"

namespace herald::xmpp {

xml::Element c2s_features(const C2sStage& stage) {
  xml::Element features("features", std::string(kStreamNs));
  if (!stage.tls) {
    features.add_child("starttls", std::string(kTlsNs)).add_child("required", std::string(kTlsNs));
    return features;
  }
  if (!stage.authenticated) {
    auto& mechanisms = features.add_child("mechanisms", std::string(kSaslNs));
    for (const auto& m : stage.mechanisms)
      mechanisms.add_child("mechanism", std::string(kSaslNs)).set_text(m);
    if (!stage.channel_bindings.empty()) {
      auto& bindings = features.add_child("sasl-channel-binding", std::string(kSaslChannelBindingNs));
      for (auto t : stage.channel_bindings)
        bindings.add_child("channel-binding", std::string(kSaslChannelBindingNs))
            .set_attr("type", std::string(sasl::channel_binding_name(t)));
    }
    return features;
  }
  features.add_child("bind", std::string(kBindNs));
  features.add_child("session", std::string(kSessionNs))
      .add_child("optional", std::string(kSessionNs));
  return features;
}

}  // namespace herald::xmpp
