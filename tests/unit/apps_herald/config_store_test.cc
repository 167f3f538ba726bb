// [store] and [redis]: defaults, valid values, and each error naming its key.
#include <gtest/gtest.h>

#include "apps/herald/config.h"

namespace herald::app {
namespace {

const char* kHead = R"(
[server]
domain = "push.example.org"
[s2s]
certificate = "push.crt"
key = "push.key"
[[push.module]]
name = "conversationsAndroid"
service = "fcm"
service_account_file = "firebase/service-account.json"
)";

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "/base");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

Config parse(const std::string& tail) { return parse_config(std::string(kHead) + tail, "/base"); }
std::string error_with(const std::string& tail) { return error_of(std::string(kHead) + tail); }

TEST(ConfigStore, DefaultsAreEmbeddedSqliteWithoutRedis) {
  Config c = parse("");
  EXPECT_EQ(c.store_backend, "sqlite");
  EXPECT_EQ(c.store_postgresql, "");
  EXPECT_EQ(c.redis_address, "");
  EXPECT_EQ(c.redis_password, "");
  EXPECT_EQ(c.redis_key_secret, "");
  EXPECT_EQ(c.redis_timeout, std::chrono::milliseconds(50));
}

TEST(ConfigStore, BoundsDefaultAndSet) {
  Config d = parse("");
  EXPECT_EQ(d.store_workers, 2u);
  EXPECT_EQ(d.store_statement_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(d.store_connect_timeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(d.store_queue_timeout, std::chrono::milliseconds(2000));
  Config c = parse(R"([store]
workers = 4
statement_timeout_ms = 500
connect_timeout_ms = 1500
queue_timeout_ms = 250
)");
  EXPECT_EQ(c.store_workers, 4u);
  EXPECT_EQ(c.store_statement_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(c.store_connect_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(c.store_queue_timeout, std::chrono::milliseconds(250));
  for (const char* bad : {"workers = 0", "statement_timeout_ms = 0", "queue_timeout_ms = 9999999"}) {
    std::string e = error_with(std::string("[store]\n") + bad + "\n");
    std::string key = std::string(bad).substr(0, std::string(bad).find(' '));
    EXPECT_NE(e.find("store." + key), std::string::npos) << e;
  }
}

TEST(ConfigStore, SqliteNamedExplicitly) {
  Config c = parse("[store]\nbackend = \"sqlite\"\n");
  EXPECT_EQ(c.store_backend, "sqlite");
}

TEST(ConfigStore, PostgresqlWithConnectionString) {
  Config c = parse(R"([store]
backend = "postgresql"
postgresql = "host=127.0.0.5 port=5432 dbname=herald user=herald"
)");
  EXPECT_EQ(c.store_backend, "postgresql");
  EXPECT_EQ(c.store_postgresql, "host=127.0.0.5 port=5432 dbname=herald user=herald");
}

TEST(ConfigStore, UnknownBackendNamesTheKey) {
  std::string e = error_with("[store]\nbackend = \"mysql\"\n");
  EXPECT_NE(e.find("store.backend"), std::string::npos) << e;
  EXPECT_NE(e.find("postgresql"), std::string::npos) << e;
}

TEST(ConfigStore, PostgresqlWithoutConnectionStringNamesTheKey) {
  std::string e = error_with("[store]\nbackend = \"postgresql\"\n");
  EXPECT_NE(e.find("store.postgresql"), std::string::npos) << e;
}

TEST(ConfigStore, BackendMustBeAString) {
  std::string e = error_with("[store]\nbackend = 1\n");
  EXPECT_NE(e.find("store.backend"), std::string::npos) << e;
}

TEST(ConfigStore, UnknownStoreKeyIsNamed) {
  std::string e = error_with("[store]\nbackend = \"sqlite\"\npath = \"x.db\"\n");
  EXPECT_NE(e.find("store.path"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key"), std::string::npos) << e;
}

const char* kRedis = R"([redis]
address = "127.0.0.7:6379"
key_secret = "0123456789abcdef"
)";

TEST(ConfigRedis, MinimalSectionAndDefaults) {
  Config c = parse(kRedis);
  EXPECT_EQ(c.redis_address, "127.0.0.7:6379");
  EXPECT_EQ(c.redis_key_secret, "0123456789abcdef");
  EXPECT_EQ(c.redis_password, "");
  EXPECT_EQ(c.redis_timeout, std::chrono::milliseconds(50));
}

TEST(ConfigRedis, AllKeys) {
  Config c = parse(std::string(kRedis) + "password = \"s3cret\"\ntimeout_ms = 250\n");
  EXPECT_EQ(c.redis_password, "s3cret");
  EXPECT_EQ(c.redis_timeout, std::chrono::milliseconds(250));
}

TEST(ConfigRedis, TimeoutBoundsAreAccepted) {
  EXPECT_EQ(parse(std::string(kRedis) + "timeout_ms = 1\n").redis_timeout,
            std::chrono::milliseconds(1));
  EXPECT_EQ(parse(std::string(kRedis) + "timeout_ms = 10000\n").redis_timeout,
            std::chrono::milliseconds(10000));
}

TEST(ConfigRedis, MissingAddressNamesTheKey) {
  std::string e = error_with("[redis]\nkey_secret = \"0123456789abcdef\"\n");
  EXPECT_NE(e.find("redis.address"), std::string::npos) << e;
}

TEST(ConfigRedis, AddressWithoutPortNamesTheKey) {
  std::string e = error_with("[redis]\naddress = \"127.0.0.7\"\nkey_secret = \"0123456789abcdef\"\n");
  EXPECT_NE(e.find("redis.address"), std::string::npos) << e;
  std::string zero =
      error_with("[redis]\naddress = \"127.0.0.7:0\"\nkey_secret = \"0123456789abcdef\"\n");
  EXPECT_NE(zero.find("redis.address"), std::string::npos) << zero;
}

TEST(ConfigRedis, ShortKeySecretNamesTheKey) {
  std::string e = error_with("[redis]\naddress = \"127.0.0.7:6379\"\nkey_secret = \"0123456789abcde\"\n");
  EXPECT_NE(e.find("redis.key_secret"), std::string::npos) << e;
  EXPECT_NE(e.find("16"), std::string::npos) << e;
  std::string missing = error_with("[redis]\naddress = \"127.0.0.7:6379\"\n");
  EXPECT_NE(missing.find("redis.key_secret"), std::string::npos) << missing;
}

TEST(ConfigRedis, TimeoutOutOfRangeNamesTheKey) {
  for (const char* v : {"0", "10001", "-5", "\"fast\""}) {
    std::string e = error_with(std::string(kRedis) + "timeout_ms = " + v + "\n");
    EXPECT_NE(e.find("redis.timeout_ms"), std::string::npos) << v << ": " << e;
  }
}

TEST(ConfigRedis, PasswordMustBeAString) {
  std::string e = error_with(std::string(kRedis) + "password = 12\n");
  EXPECT_NE(e.find("redis.password"), std::string::npos) << e;
}

TEST(ConfigRedis, UnknownKeyIsNamed) {
  std::string e = error_with(std::string(kRedis) + "db = 3\n");
  EXPECT_NE(e.find("redis.db"), std::string::npos) << e;
}

}  // namespace
}  // namespace herald::app
