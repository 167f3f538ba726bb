// XEP-0004 data forms: the plain DataForm value, a parser from
// <x xmlns='jabber:x:data'> and a serializer back to it.
//
// The parser is loose the way real peers need: it keeps fields in document
// order, does not validate field types against values, and ignores elements
// it does not know (<reported/>, <item/>, <media/>, ...). A field without
// 'var' is kept (fixed fields have none). Multi-valued fields keep every
// <value> in order.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xml/element.h"

namespace herald::xmpp {

inline constexpr std::string_view kDataFormsNs = "jabber:x:data";

struct FormField {
  std::string var;
  std::string type;   // "hidden", "text-single", ...; empty when absent
  std::string label;  // empty when absent
  std::vector<std::string> values;

  // The first value, or "" when there is none (an empty field).
  std::string_view value() const;
};

class DataForm {
 public:
  std::string type;  // "form", "submit", "cancel", "result"
  std::string title;
  std::vector<std::string> instructions;
  std::vector<FormField> fields;

  // First field with this var; nullptr when absent.
  const FormField* field(std::string_view var) const;
  // The value of the hidden FORM_TYPE field (XEP-0068); "" when absent.
  std::string_view form_type() const;
  // Appends a field; returns it for further edits.
  FormField& add_field(std::string var, std::string value, std::string type = {});
};

// nullopt unless `x` is an <x/> element in jabber:x:data.
std::optional<DataForm> parse_data_form(const xml::Element& x);

// <x xmlns='jabber:x:data' type='...'> with title, instructions and fields.
xml::Element serialize_data_form(const DataForm& form);

}  // namespace herald::xmpp
