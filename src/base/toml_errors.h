// toml++'s syntax errors in plain words, for the operator reading
// check-config's or serve's answer: "Error while parsing table header:
// expected ']', saw '\n'" becomes "the table header is not closed: ']'
// missing at the end of the line". Messages toml++ may word differently in
// another version fall back to its own text, on one line.
#pragma once

#include <string>
#include <string_view>

namespace herald::config {

std::string plain_toml_error(std::string_view description);

}  // namespace herald::config
