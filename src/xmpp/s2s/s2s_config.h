// Settings of the s2s transport, filled by the app from its TOML file.
// Plain data; S2sService validates what it needs at construction.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "xml/stream_parser.h"

namespace herald::xmpp {

struct S2sDomain {
  std::string name;       // the served domain, e.g. "push.example.org"
  std::string cert_file;  // PEM chain, leaf first, valid for `name`
  std::string key_file;
};

struct S2sRoute {
  std::string host;  // a host name or an IP literal (IPv6 without brackets)
  uint16_t port = 5269;
  bool direct_tls = false;  // XEP-0368 style: TLS from the first byte
};

struct S2sConfig {
  std::vector<S2sDomain> domains;
  // "address:port", e.g. "0.0.0.0:5269" and "[::]:5269"; port 0 picks one.
  std::vector<std::string> listen;
  // Same format: XEP-0368 direct TLS (TLS from the first byte, ALPN
  // "xmpp-server"), what _xmpps-server._tcp SRV records point at.
  std::vector<std::string> listen_direct_tls;
  // Remote domain -> where to connect, bypassing DNS (tests, private peers).
  std::map<std::string, S2sRoute> routes;
  std::string extra_ca_file;  // trusted besides the system CA store
  // DNS servers for SRV/A/AAAA lookups ("ip:port"); empty: resolv.conf.
  std::vector<std::string> dns_servers;
  bool require_tls = true;
  // XEP-0288: offer bidirectional streams to peers (once TLS is up); on a
  // stream where the peer asked for it, stanzas to that peer go back over
  // it instead of over a connection of our own.
  bool bidi = true;
  // XEP-0288 on our own outgoing streams: ask for bidi when the peer offers
  // it, so the peer may send to us over the connection we opened.
  bool bidi_outbound = true;
  // XEP-0198 stream management without resumption: offered on inbound
  // streams, and enabled on our outbound streams when the peer offers it;
  // stanzas a lost outbound stream never acknowledged are sent again on a
  // new one (within stanza_lifetime).
  bool stream_management = true;
  // false: a peer whose certificate we cannot verify may still authenticate
  // with dialback. true: only SASL EXTERNAL (or dialback backed by a valid
  // certificate) is accepted, in both directions.
  bool require_valid_certificates = false;
  // XEP-0185 secret; shared by all nodes serving the same domains. Empty: a
  // random one per process (fine for a single node).
  std::string dialback_secret;
  xml::StreamLimits limits;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds idle_timeout{10 * 60'000};
  // Per stream: stanzas waiting for an outbound stream to come up, and
  // stanzas written but not yet taken by a peer that does not read (beyond
  // that the stream ends with resource-constraint).
  size_t max_queued_stanzas = 1000;

  // Admin controls (docs/operations.md "For XMPP server admins").
  // Peer domains, lowercase. Non-empty allow_domains: only those federate.
  // deny_domains always wins. A refused peer gets stream error
  // policy-violation; stanzas to it are dropped.
  std::vector<std::string> allow_domains;
  std::vector<std::string> deny_domains;
  // Inbound connections open at once from one IP address; 0: no limit.
  // Beyond it the new connection gets stream error policy-violation.
  size_t max_connections_per_ip = 32;
  // An inbound stream that has not authenticated any domain by then ends
  // with stream error connection-timeout.
  std::chrono::milliseconds auth_timeout{30'000};
  // IQ requests (get/set, i.e. publishes) per second from one peer domain,
  // over all its streams, with bursts up to domain_request_burst; beyond it
  // they are answered wait/resource-constraint. 0: no limit.
  double domain_request_rate = 50;
  double domain_request_burst = 500;
  // How long a stanza may wait for an outbound stream (failed connections
  // are retried meanwhile): about an IQ's useful life (ejabberd gives up on
  // a publish after 32 s).
  std::chrono::milliseconds stanza_lifetime{30'000};
  std::chrono::milliseconds reconnect_backoff_initial{1'000};
  std::chrono::milliseconds reconnect_backoff_max{60'000};
};

}  // namespace herald::xmpp
