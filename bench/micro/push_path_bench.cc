// In-process benchmark of Herald's per-push work, without sockets or TLS:
// parse the publish bytes as they come off an s2s stream (expat), let the
// AppServer decide (publish parsing, module, token check, tombstone, rate
// limit), build the APNs request and HPACK-encode its header block as the
// HTTP/2 connection would, then serialize the IQ result. The upstream answers
// 200 at once. Every publish carries a fresh token, as most real ones do.
//
// Run it under `valgrind --tool=callgrind` with --benchmark_min_time small
// for an instruction count per push that does not depend on machine load.
#include <benchmark/benchmark.h>
#include <unistd.h>
#include <nghttp2/nghttp2.h>

#include <asio.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "base/log.h"
#include "push/apns/apns_request.h"
#include "push/apns/http2_connection.h"
#include "push/app_server.h"
#include "push/tombstones.h"
#include "store/push_schema.h"
#include "store/tombstone_store.h"
#include "xml/serializer.h"
#include "xml/stream_parser.h"

namespace {

using namespace herald;

// The store under the tombstones: a throwaway SQLite file (the push path
// reads the tombstones from memory; nothing here is buried).
struct ScratchStore {
  ScratchStore() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "herald-bench-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    store::DatabaseOptions o;
    o.target = dir + "/bench.sqlite";
    db = store::Database::open(o, store::push_migrations());
    tombstones = std::make_unique<store::TombstoneStore>(*db);
  }
  ~ScratchStore() {
    tombstones.reset();
    db.reset();
    std::filesystem::remove_all(dir);
  }
  std::string dir;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::TombstoneStore> tombstones;
};

// Builds the request and deflates its headers like Http2Connection does.
class EncodingUpstream : public push::Upstream {
 public:
  EncodingUpstream() {
    settings_.topic = "org.example.chat";
    nghttp2_hd_deflate_new(&deflater_, 4096);
  }
  ~EncodingUpstream() override { nghttp2_hd_deflate_del(deflater_); }
  void send(const push::PushJob& job, std::function<void(push::UpstreamResult)> done) override {
    auto request = push::apns::to_http2(push::apns::build_apns_request(
        settings_, job, jwt_, std::chrono::system_clock::now()));
    static const std::string authority = "api.push.apple.com";
    auto nv = push::apns::request_header_list(request, authority);
    uint8_t buf[8192];
    bytes_ += nghttp2_hd_deflate_hd(deflater_, buf, sizeof buf, nv.data(), nv.size());
    bytes_ += request.body.size();
    done({push::UpstreamStatus::delivered, 200, {}, {}});
  }
  bool token_plausible(const std::string& token) const override {
    return push::apns::plausible_apns_token(token);
  }
  size_t bytes_ = 0;

 private:
  push::apns::ApnsModuleSettings settings_;
  nghttp2_hd_deflater* deflater_ = nullptr;
  std::string jwt_ = std::string(180, 'j');
};

class CountingSender : public xmpp::StanzaSender {
 public:
  void send(xml::Element stanza) override {
    out_.clear();
    xml::serialize_to(out_, stanza);
    ++replies_;
  }
  std::string out_;
  size_t replies_ = 0;
};

class Feeder : public xml::StreamParser::Handler {
 public:
  explicit Feeder(push::AppServer*& server) : server_(server) {}
  void on_stream_open(const xml::Element&) override {}
  void on_element(xml::Element element) override { server_->handle(std::move(element)); }
  void on_stream_close() override {}

 private:
  push::AppServer*& server_;
};

std::string read_fixture(const char* name) {
  std::ifstream in(std::string(HERALD_FIXTURES_DIR) + "/publish/" + name);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// One Herald push path with its fake ends; push() handles one publish.
class PushPath {
 public:
  explicit PushPath(const char* fixture)
      : stanza_(read_fixture(fixture)),
        tombstones_(io_.get_executor(), *store_.tombstones),
        upstream_(std::make_shared<EncodingUpstream>()),
        server_(io_, "push.test", sender_, {{"example-ios", push::UpstreamKind::apns, true, upstream_}},
                tombstones_),
        server_ptr_(&server_),
        feeder_(server_ptr_),
        parser_(feeder_, {}) {
    // The fixtures' node is a 64-hex token; each push rewrites part of it.
    node_ = stanza_.find("node='");
    if (node_ == std::string::npos) throw std::runtime_error("fixture without node");
    node_ += 6;
    parser_.feed(
        "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
        "to='push.test' from='user.test' version='1.0'>");
  }
  void push() {
    char token[17];
    snprintf(token, sizeof token, "%016llx", (unsigned long long)++n_);
    stanza_.replace(node_, 16, token, 16);
    parser_.feed(stanza_);
    io_.poll();  // runs the completions and frees the reply timers
  }
  bool all_answered() const { return sender_.replies_ == n_; }
  uint64_t count() const { return n_; }
  size_t reply_bytes() const { return sender_.out_.size(); }

 private:
  std::string stanza_;
  size_t node_ = 0;
  uint64_t n_ = 0;
  asio::io_context io_;
  ScratchStore store_;
  push::Tombstones tombstones_;
  CountingSender sender_;
  std::shared_ptr<EncodingUpstream> upstream_;
  push::AppServer server_;
  push::AppServer* server_ptr_;
  Feeder feeder_;
  xml::StreamParser parser_;
};

void BM_PushPath(benchmark::State& state, const char* fixture) {
  PushPath path(fixture);
  for (auto _ : state) path.push();
  if (!path.all_answered()) state.SkipWithError("not every publish was answered");
  state.SetItemsProcessed(int64_t(path.count()));
  state.counters["reply_bytes"] = double(path.reply_bytes());
}

BENCHMARK_CAPTURE(BM_PushPath, prosody_body, "prosody-default-body.xml");
BENCHMARK_CAPTURE(BM_PushPath, ejabberd_omemo, "ejabberd-omemo.xml");

}  // namespace

// `--iterations N`: just N pushes (prosody_body) and exit, for callgrind:
// the difference between two counts divided by the difference in N is the
// instruction count of one push, without the set-up.
// HERALD_BENCH_LOG_FILE=F: log at info to F, as a production Herald does
// (one line per push); otherwise only warnings, to stderr.
int main(int argc, char** argv) {
  herald::log::Options log_options;
  log_options.level = herald::log::Level::warn;
  if (const char* file = getenv("HERALD_BENCH_LOG_FILE")) {
    log_options.level = herald::log::Level::info;
    log_options.file = file;
  }
  herald::log::init(log_options);
  if (argc == 3 && std::string(argv[1]) == "--iterations") {
    PushPath path("prosody-default-body.xml");
    long n = std::stol(argv[2]);
    for (long i = 0; i < n; ++i) path.push();
    return path.all_answered() ? 0 : 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
