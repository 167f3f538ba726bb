#include "push/v1/registrar.h"

#include <gtest/gtest.h>

#include "push/v1/adhoc.h"
#include "push/v1/http_endpoints.h"
#include "push/v1/secrets.h"
#include "store/sqlite_registration_store.h"
#include "xmpp/data_form.h"
#include "xmpp/iq.h"

namespace herald::push::v1 {
namespace {

const std::string kToken(64, 'a');
const std::string kOtherToken(64, 'b');

class RegistrarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    db_ = store::SqliteStore::open(":memory:", &error);
    ASSERT_TRUE(db_) << error;
    store_ = std::make_unique<store::SqliteRegistrationStore>(*db_);
    registrar_ = std::make_unique<Registrar>(
        *store_,
        std::vector<ModuleInfo>{{"ios", UpstreamKind::apns, true}, {"droid", UpstreamKind::fcm, false}},
        [this] { return now_; });
  }
  Registered reg(std::string_view node, const std::string& token, std::string_view type = "apns") {
    Registered out;
    EXPECT_EQ(registrar_->register_push(type, node, token, &out), Result::ok);
    return out;
  }

  store::TimePoint now_ = store::TimePoint(std::chrono::seconds(1'700'000'000));
  std::unique_ptr<store::SqliteStore> db_;
  std::unique_ptr<store::SqliteRegistrationStore> store_;
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
  Target t;
  ASSERT_EQ(registrar_->authorize("dev-1", r.secret, &t), Result::ok);
  EXPECT_EQ(t.token, kToken);
  EXPECT_EQ(t.module, "ios");
  EXPECT_EQ(registrar_->authorize("dev-1", new_secret(), &t), Result::forbidden);
  EXPECT_EQ(registrar_->authorize("dev-1", "", &t), Result::forbidden);
  EXPECT_EQ(registrar_->authorize("dev-2", r.secret, &t), Result::not_found);
}

TEST_F(RegistrarTest, OwnerRenewsWithSameTokenAndOldSecretStops) {
  Registered first = reg("dev-1", kToken);
  now_ += std::chrono::hours(1);
  Registered second = reg("dev-1", kToken);
  EXPECT_EQ(second.node, "dev-1");
  EXPECT_TRUE(second.renewed);
  EXPECT_NE(second.secret, first.secret);
  Target t;
  EXPECT_EQ(registrar_->authorize("dev-1", second.secret, &t), Result::ok);
  EXPECT_EQ(registrar_->authorize("dev-1", first.secret, &t), Result::forbidden);
}

TEST_F(RegistrarTest, AnotherTokenOnKnownNodeGetsOwnNodeAndNoTakeover) {
  Registered owner = reg("dev-1", kToken);
  Registered stranger = reg("dev-1", kOtherToken);
  EXPECT_NE(stranger.node, "dev-1");
  EXPECT_FALSE(stranger.renewed);
  Target t;
  ASSERT_EQ(registrar_->authorize("dev-1", owner.secret, &t), Result::ok);
  EXPECT_EQ(t.token, kToken) << "the owner's pushes still go to the owner's token";
  EXPECT_EQ(registrar_->authorize("dev-1", stranger.secret, &t), Result::forbidden);
  ASSERT_EQ(registrar_->authorize(stranger.node, stranger.secret, &t), Result::ok);
  EXPECT_EQ(t.token, kOtherToken);
}

TEST_F(RegistrarTest, UnregisterNeedsTokenOrSecret) {
  Registered r = reg("dev-1", kToken);
  EXPECT_EQ(registrar_->unregister("dev-1", ""), Result::forbidden);
  EXPECT_EQ(registrar_->unregister("dev-1", kOtherToken), Result::forbidden);
  EXPECT_EQ(registrar_->unregister("dev-1", r.secret), Result::ok);
  EXPECT_EQ(registrar_->unregister("dev-1", r.secret), Result::not_found);
  reg("dev-2", kToken);
  EXPECT_EQ(registrar_->unregister("dev-2", kToken), Result::ok);
}

TEST_F(RegistrarTest, TypeResolvesModulesAndTokensAreChecked) {
  EXPECT_EQ(registrar_->resolve_module("apns"), "ios");
  EXPECT_EQ(registrar_->resolve_module("fcm"), "droid");
  EXPECT_EQ(registrar_->resolve_module("droid"), "droid");
  EXPECT_FALSE(registrar_->resolve_module("mpns"));
  Registered out;
  EXPECT_EQ(registrar_->register_push("apns", "dev-1", "not hex", &out), Result::bad_request);
  EXPECT_EQ(registrar_->register_push("apns", "", kToken, &out), Result::bad_request);
  EXPECT_EQ(registrar_->register_push("mpns", "dev-1", kToken, &out), Result::bad_request);
  EXPECT_EQ(registrar_->register_push("fcm", "dev-1", "fcm:token-xyz", &out), Result::ok);
}

TEST_F(RegistrarTest, DeletionRules) {
  reg("dev-1", kToken);  // renewed at now_
  // 410 with a timestamp before the renewal: the app got the token again.
  EXPECT_EQ(registrar_->token_dead("ios", kToken, now_ - std::chrono::hours(1)), 0u);
  EXPECT_TRUE(registrar_->exists("dev-1"));
  EXPECT_EQ(registrar_->token_dead("ios", kToken, now_ + std::chrono::seconds(1)), 1u);
  EXPECT_FALSE(registrar_->exists("dev-1"));
  // Expiry after the configured time without renewal.
  reg("dev-2", kOtherToken);
  now_ += std::chrono::hours(24 * 10);
  EXPECT_EQ(registrar_->expire(std::chrono::hours(24 * 11)), 0u);
  now_ += std::chrono::hours(24 * 2);
  EXPECT_EQ(registrar_->expire(std::chrono::hours(24 * 11)), 1u);
  EXPECT_FALSE(registrar_->exists("dev-2"));
}

TEST_F(RegistrarTest, OutcomesAreQueuedUntilFlush) {
  Registered r = reg("dev-1", kToken);
  registrar_->record("dev-1", true);
  EXPECT_EQ(registrar_->pending_outcomes(), 1u);
  store::Registration data;
  ASSERT_EQ(registrar_->export_data("dev-1", r.secret, &data), Result::ok);
  EXPECT_FALSE(data.last_success) << "not written on the push's path";
  EXPECT_TRUE(registrar_->flush());
  EXPECT_EQ(registrar_->pending_outcomes(), 0u);
  ASSERT_EQ(registrar_->export_data("dev-1", r.secret, &data), Result::ok);
  EXPECT_TRUE(data.last_success);
  EXPECT_EQ(registrar_->export_data("dev-1", "wrong", &data), Result::forbidden);
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
  xml::Element reply = handle_command(
      command_iq("v1-register-push", {{"type", "apns"}, {"node", "dev-9"}, {"token", kToken}}),
      *registrar_, "push.test");
  EXPECT_EQ(reply.attr_or("type"), "result");
  const xml::Element* cmd = reply.child("command", kCommandsNs);
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->attr_or("status"), "completed");
  auto form = xmpp::parse_data_form(*cmd->child("x", xmpp::kDataFormsNs));
  ASSERT_TRUE(form);
  EXPECT_EQ(form->field("jid")->value(), "push.test");
  EXPECT_EQ(form->field("node")->value(), "dev-9");
  Target t;
  EXPECT_EQ(registrar_->authorize("dev-9", form->field("secret")->value(), &t), Result::ok);

  // Without a form: the form to fill.
  reply = handle_command(command_iq("v1-register-push", {}), *registrar_, "push.test");
  EXPECT_EQ(reply.child("command", kCommandsNs)->attr_or("status"), "executing");
  // Errors.
  reply = handle_command(command_iq("v1-export-data", {{"node", "dev-9"}, {"secret", "x"}}),
                         *registrar_, "push.test");
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
  http::Request req;
  req.method = "POST";
  req.path = "/push_appserver/v1/register";
  req.body = "type=apns&node=dev-5&token=" + kToken;
  http::Response res = router.handle(req);
  ASSERT_EQ(res.status, 200) << res.body;
  ASSERT_EQ(res.body.rfind("OK\ndev-5\n", 0), 0u) << res.body;
  std::string secret = res.body.substr(std::string("OK\ndev-5\n").size());
  req.path = "/v1/unregister";
  req.body = "type=apns&node=dev-5&secret=wrong";
  EXPECT_EQ(router.handle(req).status, 403);
  req.body = "type=apns&node=dev-5&secret=" + secret;
  EXPECT_EQ(router.handle(req).status, 200);
  EXPECT_FALSE(registrar_->exists("dev-5"));
}

}  // namespace
}  // namespace herald::push::v1
