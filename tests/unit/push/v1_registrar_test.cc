// v1 registration (registrar.h, adhoc.h, http_endpoints.h) on a real SQLite
// store and, for outages, a real PostgreSQL (postgres_test_server.h): every
// answer comes through the loop, and a store that fails is `unavailable`,
// never "not found".
#include "push/v1/registrar.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <filesystem>

#include "../store/test_support.h"
#include "push/v1/adhoc.h"
#include "push/v1/http_endpoints.h"
#include "push/v1/secrets.h"
#include "store/push_schema.h"
#include "xmpp/data_form.h"
#include "xmpp/iq.h"

namespace herald::push::v1 {
namespace {

using namespace std::chrono_literals;

const std::string kToken(64, 'a');
const std::string kOtherToken(64, 'b');

using store::testing::run_until;

class RegistrarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.target = dir_.file("herald.sqlite");
    open();
  }
  void TearDown() override {
    registrar_.reset();
    store_.reset();
    db_.reset();
  }
  void open() {
    registrar_.reset();
    store_.reset();
    db_ = store::Database::open(options_, store::push_migrations());
    store_ = std::make_unique<store::RegistrationStore>(*db_);
    registrar_ = std::make_unique<Registrar>(
        io_.get_executor(), *store_,
        std::vector<ModuleInfo>{{"ios", UpstreamKind::apns, true}, {"droid", UpstreamKind::fcm, false}},
        [this] { return now_; });
  }

  // Each call, answered through the loop.
  std::pair<Answer, Registered> register_push(std::string_view type, std::string_view node,
                                              const std::string& token) {
    std::optional<std::pair<Answer, Registered>> out;
    registrar_->register_push(type, node, token, [&](Answer a, Registered r) { out.emplace(a, r); });
    EXPECT_TRUE(run_until(io_, [&] { return out.has_value(); }));
    return out.value_or(std::pair<Answer, Registered>{Answer::unavailable, {}});
  }
  Registered reg(std::string_view node, const std::string& token, std::string_view type = "apns") {
    auto [a, r] = register_push(type, node, token);
    EXPECT_EQ(a, Answer::ok);
    return r;
  }
  std::pair<Answer, Target> authorize(std::string_view node, std::string_view secret) {
    std::optional<std::pair<Answer, Target>> out;
    registrar_->authorize(node, secret, [&](Answer a, Target t) { out.emplace(a, t); });
    EXPECT_TRUE(run_until(io_, [&] { return out.has_value(); }));
    return out.value_or(std::pair<Answer, Target>{Answer::unavailable, {}});
  }
  Answer authorized(std::string_view node, std::string_view secret) {
    return authorize(node, secret).first;
  }
  Answer unregister(std::string_view node, std::string_view proof) {
    std::optional<Answer> out;
    registrar_->unregister(node, proof, [&](Answer a) { out = a; });
    EXPECT_TRUE(run_until(io_, [&] { return out.has_value(); }));
    return out.value_or(Answer::unavailable);
  }
  std::pair<Answer, store::Registration> export_data(std::string_view node, std::string_view secret) {
    std::optional<std::pair<Answer, store::Registration>> out;
    registrar_->export_data(node, secret, [&](Answer a, store::Registration r) { out.emplace(a, r); });
    EXPECT_TRUE(run_until(io_, [&] { return out.has_value(); }));
    return out.value_or(std::pair<Answer, store::Registration>{Answer::unavailable, {}});
  }
  bool exists(std::string_view node) {
    std::optional<bool> out;
    registrar_->exists(node, [&](bool e) { out = e; });
    EXPECT_TRUE(run_until(io_, [&] { return out.has_value(); }));
    return out.value_or(false);
  }
  size_t token_dead(std::string_view module, const std::string& token,
                    std::optional<store::TimePoint> since) {
    std::optional<Result<size_t>> out;
    registrar_->token_dead(module, token, since, [&](Result<size_t> n) { out.emplace(n); });
    EXPECT_TRUE(run_until(io_, [&] { return out.has_value(); }));
    return out && out->ok() ? **out : 999;
  }
  size_t expire(std::chrono::seconds lifetime) {
    std::optional<Result<size_t>> out;
    registrar_->expire(lifetime, [&](Result<size_t> n) { out.emplace(n); });
    EXPECT_TRUE(run_until(io_, [&] { return out.has_value(); }));
    return out && out->ok() ? **out : 999;
  }
  Status flush() {
    std::optional<Status> out;
    registrar_->flush([&](Status s) { out = s; });
    EXPECT_TRUE(run_until(io_, [&] { return out.has_value(); }));
    return out.value_or(Internal("no answer"));
  }
  xml::Element command(const xml::Element& iq) {
    std::optional<xml::Element> out;
    handle_command(iq, *registrar_, "push.test", [&](xml::Element r) { out = std::move(r); });
    EXPECT_TRUE(run_until(io_, [&] { return out.has_value(); }));
    return out.value_or(xml::Element("none", ""));
  }

  asio::io_context io_;
  store::testing::ScratchDir dir_;
  store::DatabaseOptions options_;
  store::TimePoint now_ = store::TimePoint(std::chrono::seconds(1'700'000'000));
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::RegistrationStore> store_;
  std::unique_ptr<Registrar> registrar_;
};

TEST(V1Secrets, RandomHashedComparedWhole) {
  std::string a = new_secret(), b = new_secret();
  EXPECT_EQ(a.size(), 43u);  // 256 bits, base64url
  EXPECT_NE(a, b);
  EXPECT_TRUE(secret_matches(a, hash_secret(a)));
  EXPECT_FALSE(secret_matches(b, hash_secret(a)));
  EXPECT_FALSE(secret_matches(a.substr(0, 42), hash_secret(a)));
  EXPECT_NE(hash_secret(a), a);
}

TEST_F(RegistrarTest, RegisterThenAuthorizePublish) {
  Registered r = reg("dev-1", kToken);
  EXPECT_EQ(r.node, "dev-1");
  auto [a, t] = authorize("dev-1", r.secret);
  ASSERT_EQ(a, Answer::ok);
  EXPECT_EQ(t.token, kToken);
  EXPECT_EQ(t.module, "ios");
  EXPECT_EQ(authorized("dev-1", new_secret()), Answer::forbidden);
  EXPECT_EQ(authorized("dev-1", ""), Answer::forbidden);
  EXPECT_EQ(authorized("dev-2", r.secret), Answer::not_found);
}

TEST_F(RegistrarTest, OwnerRenewsWithSameTokenAndOldSecretStops) {
  Registered first = reg("dev-1", kToken);
  now_ += std::chrono::hours(1);
  Registered second = reg("dev-1", kToken);
  EXPECT_EQ(second.node, "dev-1");
  EXPECT_TRUE(second.renewed);
  EXPECT_NE(second.secret, first.secret);
  EXPECT_EQ(authorized("dev-1", second.secret), Answer::ok);
  EXPECT_EQ(authorized("dev-1", first.secret), Answer::forbidden);
}

TEST_F(RegistrarTest, AnotherTokenOnKnownNodeGetsOwnNodeAndNoTakeover) {
  Registered owner = reg("dev-1", kToken);
  Registered stranger = reg("dev-1", kOtherToken);
  EXPECT_NE(stranger.node, "dev-1");
  EXPECT_FALSE(stranger.renewed);
  auto [a, t] = authorize("dev-1", owner.secret);
  ASSERT_EQ(a, Answer::ok);
  EXPECT_EQ(t.token, kToken) << "the owner's pushes still go to the owner's token";
  EXPECT_EQ(authorized("dev-1", stranger.secret), Answer::forbidden);
  auto [b, u] = authorize(stranger.node, stranger.secret);
  ASSERT_EQ(b, Answer::ok);
  EXPECT_EQ(u.token, kOtherToken);
}

TEST_F(RegistrarTest, UnregisterNeedsTokenOrSecret) {
  Registered r = reg("dev-1", kToken);
  EXPECT_EQ(unregister("dev-1", ""), Answer::forbidden);
  EXPECT_EQ(unregister("dev-1", kOtherToken), Answer::forbidden);
  EXPECT_EQ(unregister("dev-1", r.secret), Answer::ok);
  EXPECT_EQ(unregister("dev-1", r.secret), Answer::not_found);
  reg("dev-2", kToken);
  EXPECT_EQ(unregister("dev-2", kToken), Answer::ok);
}

TEST_F(RegistrarTest, TypeResolvesModulesAndTokensAreChecked) {
  EXPECT_EQ(registrar_->resolve_module("apns"), "ios");
  EXPECT_EQ(registrar_->resolve_module("fcm"), "droid");
  EXPECT_EQ(registrar_->resolve_module("droid"), "droid");
  EXPECT_FALSE(registrar_->resolve_module("mpns"));
  EXPECT_EQ(register_push("apns", "dev-1", "not hex").first, Answer::bad_request);
  EXPECT_EQ(register_push("apns", "", kToken).first, Answer::bad_request);
  EXPECT_EQ(register_push("mpns", "dev-1", kToken).first, Answer::bad_request);
  EXPECT_EQ(register_push("fcm", "dev-1", "fcm:token-xyz").first, Answer::ok);
}

TEST_F(RegistrarTest, DeletionRules) {
  reg("dev-1", kToken);  // renewed at now_
  // 410 with a timestamp before the renewal: the app got the token again.
  EXPECT_EQ(token_dead("ios", kToken, now_ - std::chrono::hours(1)), 0u);
  EXPECT_TRUE(exists("dev-1"));
  EXPECT_EQ(token_dead("ios", kToken, now_ + std::chrono::seconds(1)), 1u);
  EXPECT_FALSE(exists("dev-1"));
  // Expiry after the configured time without renewal.
  reg("dev-2", kOtherToken);
  now_ += std::chrono::hours(24 * 10);
  EXPECT_EQ(expire(std::chrono::hours(24 * 11)), 0u);
  now_ += std::chrono::hours(24 * 2);
  EXPECT_EQ(expire(std::chrono::hours(24 * 11)), 1u);
  EXPECT_FALSE(exists("dev-2"));
}

TEST_F(RegistrarTest, OutcomesAreQueuedUntilFlush) {
  Registered r = reg("dev-1", kToken);
  registrar_->record("dev-1", true);
  registrar_->record("dev-1", false);
  registrar_->record("dev-1", true);
  EXPECT_EQ(registrar_->pending_outcomes(), 3u);
  EXPECT_FALSE(export_data("dev-1", r.secret).second.last_success) << "not written on the push's path";
  EXPECT_TRUE(flush().ok());
  EXPECT_EQ(registrar_->pending_outcomes(), 0u);
  auto [a, data] = export_data("dev-1", r.secret);
  ASSERT_EQ(a, Answer::ok);
  EXPECT_EQ(data.last_success, now_);
  EXPECT_EQ(data.last_error, now_);
  EXPECT_EQ(export_data("dev-1", "wrong").first, Answer::forbidden);
}

// Another process holds SQLite's write lock past the statement timeout: a
// registration is answered `unavailable` (the caller answers wait), and the
// outcomes of a failed flush are kept for the next one.
TEST_F(RegistrarTest, ALockedStoreIsUnavailableNeverNotFound) {
  options_.statement_timeout = 200ms;
  open();
  Registered r = reg("dev-1", kToken);
  registrar_->record("dev-1", true);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(options_.target.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(register_push("apns", "dev-2", kToken).first, Answer::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, options_.answer_timeout() + 500ms);
  EXPECT_FALSE(flush().ok());
  EXPECT_EQ(registrar_->pending_outcomes(), 1u) << "kept for the next flush";
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_TRUE(flush().ok());
  EXPECT_EQ(export_data("dev-1", r.secret).second.last_success, now_);
}

// PostgreSQL frozen (SIGSTOP): a publish's lookup is answered `unavailable`
// within the store's answer bound, and works again once it thaws.
TEST(RegistrarOutage, AFrozenPostgresIsUnavailableWithinTheBound) {
  store::testing::PostgresTestServer pg;
  HERALD_NEED_POSTGRES(pg);
  store::DatabaseOptions o = store::testing::quick_postgres(pg);
  auto db = store::Database::open(o, store::push_migrations());
  store::RegistrationStore store(*db);
  asio::io_context io;
  Registrar registrar(io.get_executor(), store, {{"ios", UpstreamKind::apns, true}});
  std::optional<std::pair<Answer, Registered>> registered;
  registrar.register_push("apns", "dev-1", kToken, [&](Answer a, Registered r) { registered.emplace(a, r); });
  ASSERT_TRUE(run_until(io, [&] { return registered.has_value(); }));
  ASSERT_EQ(registered->first, Answer::ok);
  std::string secret = registered->second.secret;

  pg.freeze();
  // Several lookups at once, as publishes arrive: each answered within the bound.
  std::vector<std::optional<Answer>> answers(6);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::chrono::steady_clock::duration> took(answers.size());
  for (size_t i = 0; i < answers.size(); ++i)
    registrar.authorize("dev-1", secret, [&, i](Answer a, Target) {
      answers[i] = a;
      took[i] = std::chrono::steady_clock::now() - t0;
    });
  ASSERT_TRUE(run_until(io, [&] {
    for (auto& a : answers)
      if (!a) return false;
    return true;
  }));
  for (size_t i = 0; i < answers.size(); ++i) {
    EXPECT_EQ(*answers[i], Answer::unavailable) << i;
    EXPECT_LE(took[i], o.answer_timeout() + 100ms) << i;
  }
  pg.thaw();
  std::optional<Answer> back;
  auto end = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < end) {
    back.reset();
    registrar.authorize("dev-1", secret, [&](Answer a, Target) { back = a; });
    run_until(io, [&] { return back.has_value(); });
    if (back == Answer::ok) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(back, Answer::ok);
}

xml::Element command_iq(std::string_view node, std::vector<std::pair<std::string, std::string>> fields) {
  xml::Element iq("iq", "jabber:server");
  iq.set_attr("type", "set").set_attr("id", "c1").set_attr("from", "u@example.org/phone");
  iq.set_attr("to", "push.test");
  xml::Element& cmd = iq.add_child("command", std::string(kCommandsNs));
  cmd.set_attr("node", std::string(node)).set_attr("action", "execute");
  if (!fields.empty()) {
    xmpp::DataForm form;
    form.type = "submit";
    for (auto& [k, v] : fields) form.add_field(k, v);
    cmd.add_child(xmpp::serialize_data_form(form));
  }
  return iq;
}

TEST_F(RegistrarTest, AdhocRegisterReturnsNodeAndSecret) {
  xml::Element reply =
      command(command_iq("v1-register-push", {{"type", "apns"}, {"node", "dev-9"}, {"token", kToken}}));
  EXPECT_EQ(reply.attr_or("type"), "result");
  EXPECT_EQ(reply.attr_or("id"), "c1");
  EXPECT_EQ(reply.attr_or("to"), "u@example.org/phone");
  const xml::Element* cmd = reply.child("command", kCommandsNs);
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->attr_or("status"), "completed");
  auto form = xmpp::parse_data_form(*cmd->child("x", xmpp::kDataFormsNs));
  ASSERT_TRUE(form);
  EXPECT_EQ(form->field("jid")->value(), "push.test");
  EXPECT_EQ(form->field("node")->value(), "dev-9");
  EXPECT_EQ(authorized("dev-9", form->field("secret")->value()), Answer::ok);

  // Without a form: the form to fill.
  reply = command(command_iq("v1-register-push", {}));
  EXPECT_EQ(reply.child("command", kCommandsNs)->attr_or("status"), "executing");
  // Errors.
  reply = command(command_iq("v1-export-data", {{"node", "dev-9"}, {"secret", "x"}}));
  EXPECT_EQ(reply.attr_or("type"), "error");
  EXPECT_TRUE(reply.child("error", "jabber:server")->child("forbidden", xmpp::kStanzasNs));
}

TEST(V1Http, ParsesFormEncoding) {
  auto form = parse_form_urlencoded("type=apns&node=a%2Fb+c&token=ff&&empty=");
  ASSERT_TRUE(form);
  EXPECT_EQ((*form)["node"], "a/b c");
  EXPECT_EQ((*form)["empty"], "");
  EXPECT_FALSE(parse_form_urlencoded("node=%zz"));
  EXPECT_FALSE(parse_form_urlencoded("node=%2"));
}

TEST_F(RegistrarTest, HttpRegisterAnswersOldFormat) {
  http::Router router;
  add_http_routes(router, *registrar_);
  auto handle = [&](const http::Request& req) {
    std::optional<http::Response> out;
    router.handle(req, [&](http::Response r) { out = std::move(r); });
    EXPECT_TRUE(run_until(io_, [&] { return out.has_value(); }));
    return out.value_or(http::Response{});
  };
  http::Request req;
  req.method = "POST";
  req.path = "/push_appserver/v1/register";
  req.body = "type=apns&node=dev-5&token=" + kToken;
  http::Response res = handle(req);
  ASSERT_EQ(res.status, 200) << res.body;
  ASSERT_EQ(res.body.rfind("OK\ndev-5\n", 0), 0u) << res.body;
  std::string secret = res.body.substr(std::string("OK\ndev-5\n").size());
  req.path = "/v1/unregister";
  req.body = "type=apns&node=dev-5&secret=wrong";
  EXPECT_EQ(handle(req).status, 403);
  req.body = "type=apns&node=dev-5&secret=" + secret;
  EXPECT_EQ(handle(req).status, 200);
  EXPECT_FALSE(exists("dev-5"));
  req.body = "type=apns&node=%zz";
  EXPECT_EQ(handle(req).status, 400);
}

}  // namespace
}  // namespace herald::push::v1
