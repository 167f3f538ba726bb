// Service-account parsing and the RS256 assertion, checked with OpenSSL
// directly (not with the signer's own code).
#include "push/fcm/service_account.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "base/encoding.h"
#include "fcm_test_key.h"

namespace herald::push::fcm {
namespace {

using testing::test_rsa_key;
using testing::test_rsa_pem;

std::string account_json() {
  nlohmann::json j = {{"type", "service_account"},
                      {"project_id", "herald-test"},
                      {"private_key_id", "kid-1"},
                      {"private_key", test_rsa_pem()},
                      {"client_email", "push@herald-test.iam.gserviceaccount.com"},
                      {"token_uri", "https://oauth2.googleapis.com/token"}};
  return j.dump();
}

TEST(FcmServiceAccount, ParsesTheFieldsFcmNeeds) {
  ServiceAccount a = parse_service_account(account_json());
  EXPECT_EQ(a.client_email, "push@herald-test.iam.gserviceaccount.com");
  EXPECT_EQ(a.project_id, "herald-test");
  EXPECT_EQ(a.token_uri, "https://oauth2.googleapis.com/token");
  EXPECT_EQ(a.private_key_id, "kid-1");
  EXPECT_NE(a.private_key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
}

TEST(FcmServiceAccount, RejectsMissingFieldsAndOtherTypes) {
  nlohmann::json j = nlohmann::json::parse(account_json());
  j.erase("client_email");
  EXPECT_THROW(parse_service_account(j.dump()), std::runtime_error);
  j = nlohmann::json::parse(account_json());
  j["type"] = "authorized_user";
  EXPECT_THROW(parse_service_account(j.dump()), std::runtime_error);
  EXPECT_THROW(parse_service_account("not json"), std::runtime_error);
  j = nlohmann::json::parse(account_json());
  j.erase("token_uri");
  EXPECT_EQ(parse_service_account(j.dump()).token_uri, "https://oauth2.googleapis.com/token");
}

TEST(FcmServiceAccount, SignerRejectsNonRsaKeys) {
  ServiceAccount a = parse_service_account(account_json());
  EVP_PKEY* ec = EVP_EC_gen("P-256");
  a.private_key_pem = testing::pem_of(ec);
  EVP_PKEY_free(ec);
  EXPECT_THROW(ServiceAccountSigner{a}, std::runtime_error);
  a.private_key_pem = "garbage";
  EXPECT_THROW(ServiceAccountSigner{a}, std::runtime_error);
}

bool rs256_valid(const std::string& jwt) {
  size_t dot = jwt.rfind('.');
  std::string input = jwt.substr(0, dot);
  auto sig = base64url_decode(jwt.substr(dot + 1));
  if (!sig) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, test_rsa_key()) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                             reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

TEST(FcmServiceAccount, AssertionHasGooglesClaimsAndAValidRs256Signature) {
  ServiceAccountSigner signer(parse_service_account(account_json()));
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  std::string jwt = signer.assertion(now);
  size_t dot1 = jwt.find('.');
  size_t dot2 = jwt.find('.', dot1 + 1);
  ASSERT_NE(dot2, std::string::npos);
  auto header = nlohmann::json::parse(*base64url_decode(jwt.substr(0, dot1)));
  auto claims = nlohmann::json::parse(*base64url_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1)));
  EXPECT_EQ(header["alg"], "RS256");
  EXPECT_EQ(header["typ"], "JWT");
  EXPECT_EQ(header["kid"], "kid-1");
  EXPECT_EQ(claims["iss"], "push@herald-test.iam.gserviceaccount.com");
  EXPECT_EQ(claims["scope"], "https://www.googleapis.com/auth/firebase.messaging");
  EXPECT_EQ(claims["aud"], "https://oauth2.googleapis.com/token");
  EXPECT_EQ(claims["iat"], 1700000000);
  EXPECT_EQ(claims["exp"], 1700000000 + 3600);
  EXPECT_EQ(claims.size(), 5u);
  EXPECT_TRUE(rs256_valid(jwt));

  std::string tampered = jwt;
  tampered[dot1 + 3] = tampered[dot1 + 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(rs256_valid(tampered));
}

TEST(FcmServiceAccount, AssertionLifetimeIsCappedAtOneHour) {
  ServiceAccountSigner signer(parse_service_account(account_json()));
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1000));
  std::string jwt = signer.assertion(now, std::chrono::hours(5));
  size_t dot1 = jwt.find('.');
  size_t dot2 = jwt.find('.', dot1 + 1);
  auto claims = nlohmann::json::parse(*base64url_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1)));
  EXPECT_EQ(claims["exp"].get<int64_t>() - claims["iat"].get<int64_t>(), 3600);
}

TEST(FcmServiceAccount, TokenRequestIsTheJwtBearerGrant) {
  EXPECT_EQ(token_request_body("aa.bb-cc_dd"),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=aa.bb-cc_dd");
}

TEST(FcmServiceAccount, ParsesTokenResponses) {
  std::string error;
  auto token = parse_token_response(
      200, R"({"access_token":"ya29.abc","expires_in":3599,"token_type":"Bearer"})", &error);
  ASSERT_TRUE(token);
  EXPECT_EQ(token->value, "ya29.abc");
  EXPECT_EQ(token->expires_in, std::chrono::seconds(3599));

  EXPECT_FALSE(parse_token_response(400, R"({"error":"invalid_grant"})", &error));
  EXPECT_NE(error.find("invalid_grant"), std::string::npos);
  EXPECT_FALSE(parse_token_response(200, R"({"access_token":"x","token_type":"Bearer"})", &error));
  EXPECT_FALSE(parse_token_response(200, R"({"access_token":"x","expires_in":60,"token_type":"MAC"})",
                                    &error));
  EXPECT_FALSE(parse_token_response(200, "<html>", &error));
}

}  // namespace
}  // namespace herald::push::fcm
