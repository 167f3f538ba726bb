#include "xml/stream_parser.h"

#include <expat.h>

#include <algorithm>
#include <vector>

namespace herald::xml {
namespace {

// Separates namespace URI and local name in the names expat reports. U+0001
// cannot occur in XML 1.0 at all, not even as a character reference, so a
// peer cannot forge a split.
constexpr char kNsSeparator = '\x01';

// Input is handed to expat in slices of at most this size so the stanza size
// limit is checked often enough, even when one feed() brings megabytes.
constexpr size_t kSliceBytes = 16 * 1024;

void split_name(const XML_Char* expat_name, std::string* ns, std::string* local) {
  std::string_view name(expat_name);
  size_t sep = name.find(kNsSeparator);
  if (sep == std::string_view::npos) {
    ns->clear();
    local->assign(name);
  } else {
    ns->assign(name.substr(0, sep));
    local->assign(name.substr(sep + 1));
  }
}

bool is_xml_whitespace(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

}  // namespace

struct StreamParser::Impl {
  enum class State { kParsing, kStopped, kClosed, kFailed };

  Impl(Handler& h, StreamLimits l) : handler(h), limits(l) {
    parser = XML_ParserCreateNS("UTF-8", kNsSeparator);
    install();
  }
  ~Impl() { XML_ParserFree(parser); }

  Handler& handler;
  StreamLimits limits;
  XML_Parser parser;

  State state = State::kParsing;
  std::optional<StreamError> error;
  bool in_feed = false;
  bool reset_pending = false;

  size_t depth = 0;        // open elements, the stream element included
  int64_t fed = 0;         // bytes handed to expat since the last reset
  int64_t unit_start = 0;  // where the current top-level element (or gap) began
  std::string default_ns;  // declared on the stream header
  std::vector<std::pair<std::string, std::string>> header_prefixes;
  Element top;                 // the top-level element being built
  std::vector<Element*> open;  // top and its open descendants, innermost last
  std::string ns_buf, name_buf;

  void install() {
    XML_SetUserData(parser, this);
    XML_SetElementHandler(parser, &Impl::start_cb, &Impl::end_cb);
    XML_SetCharacterDataHandler(parser, &Impl::text_cb);
    XML_SetNamespaceDeclHandler(parser, &Impl::ns_cb, nullptr);
    XML_SetXmlDeclHandler(parser, &Impl::xml_decl_cb);
    // Each of these can only fire for something RFC 6120 section 11 forbids.
    XML_SetStartDoctypeDeclHandler(parser, &Impl::doctype_cb);
    XML_SetEntityDeclHandler(parser, &Impl::entity_decl_cb);
    XML_SetProcessingInstructionHandler(parser, &Impl::pi_cb);
    XML_SetCommentHandler(parser, &Impl::comment_cb);
    XML_SetParamEntityParsing(parser, XML_PARAM_ENTITY_PARSING_NEVER);
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 6)
    // A stanza's last bytes must be parsed when they arrive, not deferred.
    XML_SetReparseDeferralEnabled(parser, XML_FALSE);
#endif
  }

  void reset_now() {
    XML_ParserReset(parser, "UTF-8");
    install();
    state = State::kParsing;
    error.reset();
    reset_pending = false;
    depth = 0;
    fed = 0;
    unit_start = 0;
    default_ns.clear();
    header_prefixes.clear();
    top = Element();
    open.clear();
  }

  void fail(std::string condition, std::string text) {
    if (state == State::kFailed) return;
    state = State::kFailed;
    error = StreamError{std::move(condition), std::move(text)};
    XML_StopParser(parser, XML_FALSE);
  }

  void halt() {
    if (state == State::kParsing) state = State::kStopped;
    XML_StopParser(parser, XML_FALSE);
  }

  bool usable() const {
    return state == State::kParsing;
  }

  int64_t event_end() const {
    return XML_GetCurrentByteIndex(parser) + XML_GetCurrentByteCount(parser);
  }

  void on_start(const XML_Char* name, const XML_Char** atts) {
    if (!usable()) return;
    ++depth;
    if (depth > limits.max_depth) {
      fail("policy-violation", "elements nested too deeply");
      return;
    }
    if (depth == 1) {
      open_stream(name, atts);
      return;
    }
    if (depth == 2) {
      unit_start = XML_GetCurrentByteIndex(parser);
      top = Element();
      open.clear();
      open.push_back(&top);
    } else {
      open.push_back(&open.back()->add_child(Element()));
    }
    fill(*open.back(), name, atts);
  }

  void fill(Element& element, const XML_Char* name, const XML_Char** atts) {
    split_name(name, &ns_buf, &name_buf);
    element = Element(name_buf, ns_buf);
    auto& attributes = element.mutable_attributes();
    for (const XML_Char** a = atts; *a; a += 2) {
      split_name(a[0], &ns_buf, &name_buf);
      attributes.push_back({name_buf, a[1], ns_buf});
    }
  }

  void open_stream(const XML_Char* name, const XML_Char** atts) {
    Element header;
    fill(header, name, atts);
    if (!header.is("stream", kStreamNs)) {
      fail("invalid-namespace", "the stream element must be 'stream' in " + std::string(kStreamNs));
      return;
    }
    header.set_text(default_ns);
    for (auto& [prefix, uri] : header_prefixes)
      header.mutable_attributes().push_back({prefix, uri, std::string(kXmlnsNs)});
    unit_start = event_end();
    handler.on_stream_open(header);
  }

  void on_end() {
    if (!usable()) return;
    if (depth == 1) {
      depth = 0;
      state = State::kClosed;
      XML_StopParser(parser, XML_FALSE);
      handler.on_stream_close();
      return;
    }
    --depth;
    open.pop_back();
    if (depth != 1) return;
    int64_t end = event_end();
    if (static_cast<uint64_t>(end - unit_start) > limits.max_stanza_bytes) {
      fail("policy-violation", "stanza too large");
      return;
    }
    unit_start = end;
    handler.on_element(std::move(top));
  }

  void on_text(std::string_view text) {
    if (!usable()) return;
    if (depth >= 2) {
      open.back()->append_text(text);
    } else if (depth == 1) {
      if (!is_xml_whitespace(text)) {
        fail("not-well-formed", "character data at stream level");
        return;
      }
      unit_start = event_end();  // keepalive whitespace belongs to no stanza
    }
  }

  void on_ns_decl(const XML_Char* prefix, const XML_Char* uri) {
    if (depth != 0) return;  // only the stream header's declarations matter
    std::string_view u = uri ? uri : "";
    if (!prefix) {
      default_ns.assign(u);
    } else if (u != kStreamNs) {
      header_prefixes.emplace_back(prefix, u);
    }
  }

  void check_size_so_far() {
    if (usable() && static_cast<uint64_t>(fed - unit_start) > limits.max_stanza_bytes)
      fail("policy-violation", depth == 0 ? "stream header too large" : "stanza too large");
  }

  void map_expat_error() {
    XML_Error code = XML_GetErrorCode(parser);
    if (code == XML_ERROR_UNDEFINED_ENTITY) {
      fail("restricted-xml", "entity references other than the predefined ones are not allowed");
    } else {
      fail("not-well-formed", XML_ErrorString(code));
    }
  }

  std::optional<StreamError> feed(std::string_view bytes) {
    in_feed = true;
    while (!bytes.empty() && state == State::kParsing) {
      size_t n = std::min(bytes.size(), kSliceBytes);
      fed += static_cast<int64_t>(n);
      XML_Status status = XML_Parse(parser, bytes.data(), static_cast<int>(n), XML_FALSE);
      bytes.remove_prefix(n);
      if (status == XML_STATUS_ERROR && state == State::kParsing) map_expat_error();
      check_size_so_far();
    }
    in_feed = false;
    // A reset requested from a callback: report nothing of the old stream.
    if (reset_pending) {
      reset_now();
      return std::nullopt;
    }
    return error;
  }

  // expat trampolines.
  static Impl* self(void* data) {
    return static_cast<Impl*>(data);
  }
  static void start_cb(void* d, const XML_Char* name, const XML_Char** atts) {
    self(d)->on_start(name, atts);
  }
  static void end_cb(void* d, const XML_Char*) {
    self(d)->on_end();
  }
  static void text_cb(void* d, const XML_Char* s, int len) {
    self(d)->on_text(std::string_view(s, static_cast<size_t>(len)));
  }
  static void ns_cb(void* d, const XML_Char* prefix, const XML_Char* uri) {
    self(d)->on_ns_decl(prefix, uri);
  }
  static void xml_decl_cb(void* d, const XML_Char*, const XML_Char* encoding, int) {
    if (encoding && !iequals(encoding, "UTF-8"))
      self(d)->fail("unsupported-encoding", "streams must be UTF-8");
  }
  static void doctype_cb(void* d, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    self(d)->fail("restricted-xml", "document type declarations are not allowed");
  }
  static void entity_decl_cb(void* d, const XML_Char*, int, const XML_Char*, int, const XML_Char*,
                             const XML_Char*, const XML_Char*, const XML_Char*) {
    self(d)->fail("restricted-xml", "entity declarations are not allowed");
  }
  static void pi_cb(void* d, const XML_Char*, const XML_Char*) {
    self(d)->fail("restricted-xml", "processing instructions are not allowed");
  }
  static void comment_cb(void* d, const XML_Char*) {
    self(d)->fail("restricted-xml", "comments are not allowed");
  }
};

StreamParser::StreamParser(Handler& handler, StreamLimits limits)
    : impl_(std::make_unique<Impl>(handler, limits)) {}

StreamParser::~StreamParser() = default;

std::optional<StreamError> StreamParser::feed(std::string_view bytes) {
  if (impl_->state == Impl::State::kFailed) return impl_->error;
  if (impl_->state != Impl::State::kParsing) return std::nullopt;
  return impl_->feed(bytes);
}

void StreamParser::stop() {
  impl_->halt();
}

void StreamParser::reset() {
  if (impl_->in_feed) {
    impl_->reset_pending = true;
    impl_->halt();
  } else {
    impl_->reset_now();
  }
}

}  // namespace herald::xml
