#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "config/addrport.hpp"
#include "config/duration.hpp"
#include "config/server_config.hpp"
#include "config/validate.hpp"

using es::config::ServerConfig;
using es::config::validate;
using es::config::warnings;
using namespace std::chrono_literals;

namespace {

// The message validate() throws for `config`, or "" when it passes.
std::string refusal(const ServerConfig& config) {
  try {
    validate(config);
    return "";
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
}

bool warns(const ServerConfig& config, bool verifies_grip_sig, const std::string& words) {
  for (const auto& line : warnings(config, verifies_grip_sig))
    if (line.find(words) != std::string::npos) return true;
  return false;
}

} // namespace

TEST(ServerConfig, DefaultsAreTheDocumentedOnes) {
  ServerConfig config;
  EXPECT_EQ(es::config::format_addrport({config.host, config.port}), "127.0.0.1:8000");
  EXPECT_EQ(config.routes, std::vector<std::string>{"/events/"});
  EXPECT_EQ(config.keep_alive, 20s);
  EXPECT_EQ(config.write_timeout, 60s);
  EXPECT_EQ(config.retry, 3000ms);
  EXPECT_EQ(config.header_timeout, 10s);
  EXPECT_EQ(config.auth_leeway, 5s);
  EXPECT_EQ(config.auth_cache, 30s);
  EXPECT_EQ(config.auth_timeout, 5s);
  EXPECT_EQ(config.redis_wait, 30s);
  EXPECT_EQ(es::config::storage_name(config.storage), "sqlite");
  EXPECT_EQ(config.db_path, "eventstream.db");
  EXPECT_EQ(es::config::format_duration(config.retention), "24h");
  EXPECT_EQ(config.reliable, std::vector<std::string>{"*"});
  EXPECT_FALSE(config.tls());
  EXPECT_EQ(config.h2_max_streams, 100u);
}

TEST(ServerConfig, DefaultsPassAndWarnOfNothing) {
  EXPECT_EQ(refusal(ServerConfig{}), "");
  EXPECT_TRUE(warnings(ServerConfig{}, false).empty());
}

TEST(ServerConfig, CredentialsWithAnyOriginAreRefused) {
  ServerConfig config;
  config.allow_credentials = true;
  for (const char* any : {"*", " * "}) {
    config.allow_origin = any;
    EXPECT_NE(refusal(config).find("--allow-credentials with --allow-origin '*'"), std::string::npos) << any;
    EXPECT_NE(refusal(config).find("name the one origin allowed"), std::string::npos) << any;
  }
  config.allow_credentials = false;
  EXPECT_EQ(refusal(config), "");
}

TEST(ServerConfig, CredentialsWithTheNullOriginAreRefused) {
  ServerConfig config;
  config.allow_credentials = true;
  for (const char* null : {"null", "NULL", " Null\t"}) {
    config.allow_origin = null;
    EXPECT_NE(refusal(config).find("--allow-credentials with --allow-origin null"), std::string::npos) << null;
  }
  config.allow_origin = "https://app.example.com";
  EXPECT_EQ(refusal(config), "");
}

TEST(ServerConfig, RedisStorageNeedsARedis) {
  ServerConfig config;
  config.storage = ServerConfig::Storage::redis;
  EXPECT_NE(refusal(config).find("--storage redis needs --redis URL, e.g. --redis redis://"), std::string::npos);
  config.redis_url = "redis://127.0.0.1:6379";
  EXPECT_EQ(refusal(config), "");
}

TEST(ServerConfig, SyncNormalIsForSqliteOnly) {
  ServerConfig config;
  config.db_sync_normal = true;
  EXPECT_EQ(refusal(config), "");
  config.storage = ServerConfig::Storage::memory;
  EXPECT_NE(refusal(config).find("--sync normal decides when SQLite's commits reach the disk: it applies to "
                                 "--storage sqlite only, not memory"),
            std::string::npos);
}

TEST(ServerConfig, ARedisIsSharedOnlyWithRedisStorageOrNone) {
  ServerConfig config;
  config.redis_url = "redis://127.0.0.1:6379";
  config.storage = ServerConfig::Storage::sqlite;
  EXPECT_NE(refusal(config).find("use it with --storage redis (or none, live only), not sqlite"), std::string::npos);
  config.storage = ServerConfig::Storage::memory;
  EXPECT_NE(refusal(config).find("not memory"), std::string::npos);
  config.storage = ServerConfig::Storage::none;
  EXPECT_EQ(refusal(config), "");
}

TEST(ServerConfig, PrivateChannelsWithoutTokensWarn) {
  ServerConfig config;
  config.private_globs = {"_*"};
  EXPECT_TRUE(warns(config, false, "--private without --auth-secret"));
  config.auth_secret = "s3cret";
  EXPECT_FALSE(warns(config, false, "--private without --auth-secret"));
}

TEST(ServerConfig, GripWithoutAKeyWarns) {
  ServerConfig config;
  config.grip_urls = {"http://127.0.0.1:5561/"};
  config.publish_key = "k";
  EXPECT_TRUE(warns(config, false, "no key to verify Grip-Sig with"));
  EXPECT_FALSE(warns(config, true, "no key to verify Grip-Sig with"));
}

TEST(ServerConfig, AGripKeyWithoutAGripUrlWarns) {
  ServerConfig config;
  config.publish_key = "k";
  EXPECT_TRUE(warns(config, true, "--grip-sig-key without --grip-url"));
  config.grip_urls = {"http://127.0.0.1:5561/"};
  EXPECT_FALSE(warns(config, true, "--grip-sig-key without --grip-url"));
}

TEST(ServerConfig, GripLinksSignedWithARandomSecretWarnWhenAWebhookNamesUsers) {
  ServerConfig config;
  config.grip_urls = {"http://127.0.0.1:5561/"};
  config.publish_key = "k";
  config.auth_url = "http://127.0.0.1:9/allow";
  EXPECT_TRUE(warns(config, true, "signed with a random secret"));
  config.secret = "shared";
  EXPECT_FALSE(warns(config, true, "signed with a random secret"));
  config.secret.clear();
  config.auth_secret = "tokens";
  EXPECT_FALSE(warns(config, true, "signed with a random secret"));
}

TEST(ServerConfig, GripWithOpenPublishingWarns) {
  ServerConfig config;
  config.grip_urls = {"http://127.0.0.1:5561/"};
  EXPECT_TRUE(warns(config, true, "a GRIP proxy without --publish-key or --publish-addr"));
  config.publish_addr = es::config::parse_addrport("9000");
  EXPECT_FALSE(warns(config, true, "a GRIP proxy without --publish-key or --publish-addr"));
  config.publish_addr.reset();
  config.publish_key = "k";
  EXPECT_FALSE(warns(config, true, "a GRIP proxy without --publish-key or --publish-addr"));
}

TEST(ServerConfig, APerAddressLimitBehindGripWarns) {
  ServerConfig config;
  config.grip_urls = {"http://127.0.0.1:5561/"};
  config.publish_key = "k";
  config.max_connections_per_address = 10;
  EXPECT_TRUE(warns(config, true, "--max-connections-per-address with --grip-url"));
  config.grip_urls.clear();
  EXPECT_FALSE(warns(config, true, "--max-connections-per-address with --grip-url"));
}

TEST(ServerConfig, ACertificateAndItsKeyComeTogether) {
  ServerConfig config;
  config.tls_cert = "fullchain.pem";
  EXPECT_NE(refusal(config).find("--tls-cert needs --tls-key FILE"), std::string::npos) << refusal(config);
  config.tls_key = "privkey.pem";
  EXPECT_EQ(refusal(config), "");
  EXPECT_TRUE(config.tls());
  config.tls_cert.clear();
  EXPECT_NE(refusal(config).find("--tls-key needs --tls-cert FILE"), std::string::npos) << refusal(config);
}

TEST(ServerConfig, SelfSignedIsGivenAlone) {
  ServerConfig config;
  config.tls_self_signed = true;
  EXPECT_EQ(refusal(config), "");
  EXPECT_TRUE(config.tls());
  config.tls_cert = "fullchain.pem";
  config.tls_key = "privkey.pem";
  EXPECT_NE(refusal(config).find("--tls-self-signed makes its own certificate"), std::string::npos) << refusal(config);
  config.tls_cert.clear();
  EXPECT_NE(refusal(config).find("--tls-self-signed makes its own certificate"), std::string::npos) << refusal(config);
}

TEST(ServerConfig, DefaultsAreWrittenAsTheyAreRead) {
  EXPECT_EQ(es::config::format_duration(90s), "90s");
  EXPECT_EQ(es::config::format_duration(15min), "15m");
  EXPECT_EQ(es::config::format_duration(7 * 24h), "168h");
  for (std::chrono::seconds::rep seconds : {90, 900, 86400, 7 * 86400}) {
    std::chrono::seconds d(seconds);
    EXPECT_EQ(es::config::parse_duration(es::config::format_duration(d)), d);
  }
  auto v6 = es::config::parse_addrport(es::config::format_addrport({"::1", 8001}));
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 8001);
}
