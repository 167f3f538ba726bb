// Fuzzes xml::StreamParser with small limits. The first two input bytes pick
// the chunk size and the limits; the rest is the stream, fed once whole and
// once in chunks. Checks: an error sticks until reset() (the same condition
// on every later feed); a stream that parses without error in both runs
// yields the same elements however it is split; after reset() a valid
// stream parses normally.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xml/serializer.h"
#include "xml/stream_parser.h"

namespace {

using herald::xml::Element;
using herald::xml::StreamError;
using herald::xml::StreamLimits;
using herald::xml::StreamParser;

struct Recorder : StreamParser::Handler {
  StreamParser* parser = nullptr;
  size_t stop_after = 0;  // call stop() on this element (1-based); 0: never
  int opens = 0;
  int closes = 0;
  std::vector<std::string> elements;  // serialized, to compare runs

  void on_stream_open(const Element& header) override {
    ++opens;
    (void)herald::xml::serialize(header);
  }
  void on_element(Element element) override {
    elements.push_back(herald::xml::serialize(element));
    if (stop_after != 0 && elements.size() == stop_after) parser->stop();
  }
  void on_stream_close() override { ++closes; }
};

void check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "xml_stream_fuzz: property failed: %s\n", what);
    abort();
  }
}

// Feeds `input` in pieces of `chunk` bytes; stops at the first error and
// checks that it persists.
std::optional<StreamError> run(StreamParser& parser, std::string_view input, size_t chunk) {
  std::optional<StreamError> error;
  for (size_t pos = 0; pos < input.size(); pos += chunk) {
    error = parser.feed(input.substr(pos, chunk));
    if (error) break;
  }
  if (error) {
    auto again = parser.feed("<more/>");
    check(again.has_value(), "error not sticky");
    check(again->condition == error->condition, "error condition changed");
  }
  return error;
}

constexpr std::string_view kValid =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='push.test' version='1.0'>"
    "<message to='a@push.test'><body>hi</body></message></stream:stream>";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t chunk = 1 + data[0] % 64;
  StreamLimits limits;
  // The smallest limits still admit kValid (a 150-byte header, depth 3).
  limits.max_stanza_bytes = 192 + size_t(data[1] & 0x0f) * 256;
  limits.max_depth = 3 + (data[1] >> 4);
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

  Recorder whole_rec;
  StreamParser whole(whole_rec, limits);
  whole_rec.parser = &whole;
  auto whole_error = run(whole, input, input.size() + 1);

  Recorder split_rec;
  StreamParser split(split_rec, limits);
  split_rec.parser = &split;
  auto split_error = run(split, input, chunk);
  if (!whole_error && !split_error) {
    check(whole_rec.opens == split_rec.opens, "stream opens differ by chunking");
    check(whole_rec.closes == split_rec.closes, "stream closes differ by chunking");
    check(whole_rec.elements == split_rec.elements, "elements differ by chunking");
  }

  // A parser stopped from a callback ignores the rest of that chunk.
  Recorder stop_rec;
  StreamParser stopping(stop_rec, limits);
  stop_rec.parser = &stopping;
  stop_rec.stop_after = 1;
  (void)stopping.feed(input);
  check(stop_rec.elements.size() <= 1, "element delivered after stop()");

  // After reset() every parser takes a fresh, valid stream.
  for (auto* pair : {&whole, &split, &stopping}) {
    Recorder* rec = pair == &whole ? &whole_rec : pair == &split ? &split_rec : &stop_rec;
    pair->reset();
    rec->opens = rec->closes = 0;
    rec->elements.clear();
    rec->stop_after = 0;
    auto error = run(*pair, kValid, chunk);
    check(!error, "valid stream after reset() failed");
    check(rec->opens == 1 && rec->closes == 1 && rec->elements.size() == 1,
          "valid stream after reset() not delivered");
  }
  return 0;
}
