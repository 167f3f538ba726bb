#include "xmpp/data_form.h"

namespace herald::xmpp {

std::string_view FormField::value() const {
  return values.empty() ? std::string_view() : std::string_view(values.front());
}

const FormField* DataForm::field(std::string_view var) const {
  for (const auto& f : fields)
    if (f.var == var) return &f;
  return nullptr;
}

std::string_view DataForm::form_type() const {
  const FormField* f = field("FORM_TYPE");
  return f ? f->value() : std::string_view();
}

FormField& DataForm::add_field(std::string var, std::string value, std::string type) {
  FormField& f = fields.emplace_back();
  f.var = std::move(var);
  f.type = std::move(type);
  f.values.push_back(std::move(value));
  return f;
}

std::optional<DataForm> parse_data_form(const xml::Element& x) {
  if (!x.is("x", kDataFormsNs)) return std::nullopt;
  DataForm form;
  form.type = x.attr_or("type");
  for (const auto& child : x.children()) {
    if (child.is("title", kDataFormsNs)) {
      form.title = child.text();
    } else if (child.is("instructions", kDataFormsNs)) {
      form.instructions.push_back(child.text());
    } else if (child.is("field", kDataFormsNs)) {
      FormField& f = form.fields.emplace_back();
      f.var = child.attr_or("var");
      f.type = child.attr_or("type");
      f.label = child.attr_or("label");
      for (const auto& v : child.children())
        if (v.is("value", kDataFormsNs)) f.values.push_back(v.text());
    }
  }
  return form;
}

xml::Element serialize_data_form(const DataForm& form) {
  const std::string ns(kDataFormsNs);
  xml::Element x("x", ns);
  if (!form.type.empty()) x.set_attr("type", form.type);
  if (!form.title.empty()) x.add_child("title", ns).set_text(form.title);
  for (const auto& line : form.instructions) x.add_child("instructions", ns).set_text(line);
  for (const auto& f : form.fields) {
    xml::Element& field = x.add_child("field", ns);
    if (!f.var.empty()) field.set_attr("var", f.var);
    if (!f.type.empty()) field.set_attr("type", f.type);
    if (!f.label.empty()) field.set_attr("label", f.label);
    for (const auto& v : f.values) field.add_child("value", ns).set_text(v);
  }
  return x;
}

}  // namespace herald::xmpp
