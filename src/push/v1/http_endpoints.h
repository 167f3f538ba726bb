// The v1 registration over HTTP, at the older app server's paths and at
// short ones:
//   POST /push_appserver/v1/register, /v1/register
//        form-encoded type, node, token      -> 200 "OK\n<node>\n<secret>"
//   POST /push_appserver/v1/unregister, /v1/unregister
//        form-encoded type, node, and token or secret -> 200 "OK"
// Errors are text/plain "ERROR\n<reason>": 400 malformed, 404 unknown node,
// 403 wrong token/secret, 503 store failure (or no answer from the store
// within its bound). Nothing is logged beyond what
// Registrar logs (no addresses, docs/privacy.md promise 8).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "http/router.h"
#include "push/v1/registrar.h"

namespace herald::push::v1 {

// application/x-www-form-urlencoded; nullopt on a malformed escape. Later
// duplicates of a name are ignored.
std::optional<std::map<std::string, std::string>> parse_form_urlencoded(std::string_view body);

// `registrar` must outlive the router.
void add_http_routes(http::Router& router, Registrar& registrar);

}  // namespace herald::push::v1
