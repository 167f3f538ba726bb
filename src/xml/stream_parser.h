// Incremental parser for one XMPP stream (RFC 6120 section 4), on expat.
//
// Bytes go in through feed() in arbitrary chunks; the handler is told of the
// stream header, of each complete top-level element (a stanza or a stream
// level element such as <starttls/>), and of the closing </stream:stream>.
//
// Enforces RFC 6120 section 11's restricted XML: no DTD, no processing
// instructions (other than the XML declaration), no entity declarations or
// references beyond the five predefined ones, no comments. Also enforces
// configurable limits on the size of one top-level element (in bytes of
// input, checked while the element is still arriving, so an endless one is
// cut off near the limit) and on nesting depth; the stream header counts
// against the size limit too. A violation ends the stream: feed() returns
// the stream error condition to send, and the parser accepts no more input
// until reset(). Input is read as UTF-8 whatever the XML declaration says (a
// declared other encoding is "unsupported-encoding").
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "xml/element.h"

namespace herald::xml {

inline constexpr std::string_view kStreamNs = "http://etherx.jabber.org/streams";
inline constexpr std::string_view kXmlNs = "http://www.w3.org/XML/1998/namespace";
inline constexpr std::string_view kXmlnsNs = "http://www.w3.org/2000/xmlns/";

struct StreamLimits {
  // Exceeding either is a "policy-violation".
  size_t max_stanza_bytes = 256 * 1024;
  size_t max_depth = 32;  // the stream element itself is depth 1
};

// A stream error condition (RFC 6120 4.9.3), e.g. "not-well-formed",
// "restricted-xml", "policy-violation", "invalid-namespace", plus a human
// readable text for the <text/> element.
struct StreamError {
  std::string condition;
  std::string text;
};

class StreamParser {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // The <stream:stream> opening tag: name "stream", ns
    // "http://etherx.jabber.org/streams", its attributes, and the stream's
    // default namespace (e.g. "jabber:server") as the element's text().
    // Prefixed namespace declarations other than the stream prefix (e.g.
    // xmlns:db) appear as attributes in kXmlnsNs named by their prefix, so
    // dialback can check that 'db' was declared.
    virtual void on_stream_open(const Element& header) = 0;
    // A complete top-level element, with namespaces resolved.
    virtual void on_element(Element element) = 0;
    virtual void on_stream_close() = 0;
  };
  // Callbacks may call stop() and reset(), but must not destroy the parser.

  StreamParser(Handler& handler, StreamLimits limits);
  ~StreamParser();
  StreamParser(const StreamParser&) = delete;
  StreamParser& operator=(const StreamParser&) = delete;

  // Parses the bytes; calls the handler zero or more times. Returns the
  // error that ends the stream, if any (again on every later call, until
  // reset()). After stop() or the stream's close, input is ignored until
  // reset().
  std::optional<StreamError> feed(std::string_view bytes);

  // Called from inside a handler callback: stop delivering anything else from
  // the current feed() (the rest of that chunk is discarded). Used before a
  // stream restart (STARTTLS, SASL success), where bytes that follow in the
  // same chunk must not be trusted.
  void stop();

  // Forget all state and expect a new stream header. From inside a callback
  // it implies stop() and takes effect when the current feed() returns.
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::xml
