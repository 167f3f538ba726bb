// Fuzzes the publish path: the input is a stanza inside a jabber:server
// stream (as it arrives over s2s), parsed by xml::StreamParser; each element
// goes to push::parse_publish, and every jabber:x:data <x/> found anywhere in
// it to xmpp::parse_data_form. Checks: a parsed form survives
// serialize_data_form and parsing again unchanged; serializing an element,
// parsing that and serializing again gives the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "push/publish.h"
#include "xml/serializer.h"
#include "xml/stream_parser.h"
#include "xmpp/data_form.h"

namespace {

using herald::xml::Element;
using herald::xml::StreamParser;

void check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "publish_fuzz: property failed: %s\n", what);
    abort();
  }
}

constexpr std::string_view kHeader =
    "<?xml version='1.0'?><stream:stream version='1.0' xmlns:db='jabber:server:dialback' "
    "to='push.test' xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:server' "
    "from='user.test'>";

struct Collector : StreamParser::Handler {
  std::vector<Element> elements;
  void on_stream_open(const Element&) override {}
  void on_element(Element element) override { elements.push_back(std::move(element)); }
  void on_stream_close() override {}
};

bool same_form(const herald::xmpp::DataForm& a, const herald::xmpp::DataForm& b) {
  if (a.type != b.type || a.title != b.title || a.instructions != b.instructions ||
      a.fields.size() != b.fields.size())
    return false;
  for (size_t i = 0; i < a.fields.size(); ++i) {
    const auto& f = a.fields[i];
    const auto& g = b.fields[i];
    if (f.var != g.var || f.type != g.type || f.label != g.label || f.values != g.values)
      return false;
  }
  return true;
}

void visit_forms(const Element& e) {
  if (auto form = herald::xmpp::parse_data_form(e)) {
    (void)form->form_type();
    auto again = herald::xmpp::parse_data_form(herald::xmpp::serialize_data_form(*form));
    check(again.has_value() && same_form(*form, *again), "data form round trip");
  }
  for (const auto& child : e.children()) visit_forms(child);
}

std::vector<Element> parse_stream(std::string_view body, herald::xml::StreamLimits limits) {
  Collector collector;
  StreamParser parser(collector, limits);
  (void)parser.feed(kHeader);
  (void)parser.feed(body);
  return std::move(collector.elements);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  herald::xml::StreamLimits limits;
  limits.max_stanza_bytes = 64 * 1024;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const Element& element : parse_stream(input, limits)) {
    if (herald::push::is_publish(element)) {
      auto result = herald::push::parse_publish(element);
      if (auto* p = std::get_if<herald::push::Publish>(&result)) (void)p->v1();
    }
    visit_forms(element);

    // Serialization is stable: what we send parses back to the same bytes.
    std::string first = herald::xml::serialize(element);
    herald::xml::StreamLimits roomy;
    roomy.max_stanza_bytes = 4 * first.size() + 4096;
    roomy.max_depth = 1000;
    auto reparsed = parse_stream(first, roomy);
    check(reparsed.size() == 1, "serialized element does not parse back");
    check(herald::xml::serialize(reparsed[0]) == first, "serialization not stable");
  }
  return 0;
}
