#include "base/toml_errors.h"

#include <array>
#include <utility>

namespace herald::config {
namespace {

bool has(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// The quoted name in "... existing table 'server'".
std::string quoted(std::string_view text) {
  auto end = text.rfind('\'');
  auto start = end == std::string_view::npos ? end : text.rfind('\'', end - 1);
  if (start == std::string_view::npos || end == start) return {};
  return std::string(text.substr(start + 1, end - start - 1));
}

// One line: newlines and tabs toml++ quotes literally become visible escapes.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else out += c;
  }
  return out;
}

}  // namespace

std::string plain_toml_error(std::string_view d) {
  const std::string name = quoted(d);
  if (has(d, "parsing table header") && has(d, "cannot redefine existing table"))
    return "[" + name + "] is there twice: put all of its keys under one [" + name + "]";
  if (has(d, "cannot redefine existing"))
    return "'" + name + "' is set twice (or is a key and a table at once): keep one";
  if (has(d, "parsing table header") && has(d, "expected ']'"))
    return "the table header is not closed: ']' missing at the end of the line";
  if (has(d, "parsing key-value pair") && has(d, "expected '='"))
    return "a key must be followed by '=' and a value (key = \"value\")";
  if (has(d, "expected a comment or whitespace"))
    return "unexpected text after a value: one key = value per line; comments start with #";
  if (has(d, "could not determine value type"))
    return "this value is not valid TOML: text goes in quotes (\"...\"); numbers, true/false, "
           "[lists] and {tables} are written bare";
  if ((has(d, "parsing string") || has(d, "parsing literal string")) &&
      (has(d, "control characters") || has(d, "end-of-file")))
    return "a quoted string is not closed on its line: add the closing quote";
  if (has(d, "parsing array") && has(d, "end-of-file"))
    return "a list is not closed: ']' missing";
  if (has(d, "parsing inline table"))
    return "an inline table { ... } must be closed with '}' on the same line";
  if (has(d, "parsing boolean"))
    return "true and false are written in lowercase, without quotes";
  if (has(d, "leading zeroes are prohibited"))
    return "a number cannot start with 0 (write 5, not 05)";
  if (has(d, "invalid utf-8") || has(d, "Encountered invalid utf"))
    return "the file is not UTF-8 text";
  // Anything else: toml++'s words, on one line.
  std::string text(d);
  constexpr std::string_view kPrefix = "Error while parsing ";
  if (text.rfind(kPrefix, 0) == 0) text = "syntax error in a " + text.substr(kPrefix.size());
  return one_line(text);
}

}  // namespace herald::config
