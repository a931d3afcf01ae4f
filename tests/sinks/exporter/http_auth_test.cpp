#include "sinks/exporter/http_auth.h"

#include <gtest/gtest.h>

namespace logtally::sinks {
namespace {

// `openssl passwd -6 -salt abcdefgh s3cret`
constexpr const char* kSha512Hash =
    "$6$abcdefgh$Z7KfoKnKTSZrzo5VZ0YubGLQOj9ov6sHo9TmE3zIU/"
    "LHKhpE30zCnZ0mcIXYf9r9rQ4DYaXoxAFSPFlcWdxjB.";
// `openssl passwd -5 -salt abcdefgh s3cret`
constexpr const char* kSha256Hash = "$5$abcdefgh$OcHWp0Vj4l19dnE2g4tHD4hbItEZgO0bjRV6LjwCLoA";

TEST(HttpAuthTest, PasswordMatchesItsCryptHashOnly) {
  EXPECT_TRUE(password_matches("s3cret", kSha512Hash));
  EXPECT_FALSE(password_matches("s3cre", kSha512Hash));
  EXPECT_FALSE(password_matches("", kSha512Hash));
  EXPECT_TRUE(password_matches("s3cret", kSha256Hash));
  EXPECT_FALSE(password_matches("S3cret", kSha256Hash));
  EXPECT_FALSE(password_matches("s3cret", "not a hash"));
}

TEST(HttpAuthTest, ValidHashesAreThoseWithAMethodPrefix) {
  EXPECT_TRUE(valid_password_hash(kSha512Hash));
  EXPECT_TRUE(valid_password_hash(kSha256Hash));
  EXPECT_FALSE(valid_password_hash("s3cret"));
  EXPECT_FALSE(valid_password_hash("abJnggxhB/yWI"));  // Traditional DES: refused on purpose.
  EXPECT_FALSE(valid_password_hash("$9$nosuchmethod"));
  EXPECT_FALSE(valid_password_hash(""));
}

TEST(HttpAuthTest, ParsesBasicAuthorization) {
  auto c = parse_basic_authorization("Basic YWxpY2U6czNjcjp0");  // alice:s3cr:t
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "s3cr:t");
  c = parse_basic_authorization("basic   Ym9iOg==  ");  // bob: (empty password)
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "bob");
  EXPECT_EQ(c->password, "");
  EXPECT_FALSE(parse_basic_authorization("Bearer abc"));
  EXPECT_FALSE(parse_basic_authorization("Basic !!!"));
  EXPECT_FALSE(parse_basic_authorization("Basic bm9jb2xvbg=="));  // "nocolon"
}

TEST(HttpAuthTest, Base64RoundTripsEveryLength) {
  EXPECT_EQ(base64_encode("host/1"), "aG9zdC8x");
  EXPECT_EQ(base64_encode("a"), "YQ==");
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  EXPECT_EQ(base64_encode("\xfb\xff", true), "-_8=");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n <= all.size(); n += 7) {
    const std::string s = all.substr(0, n);
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
    EXPECT_EQ(base64_decode(base64_encode(s, true)), s);
  }
}

}  // namespace
}  // namespace logtally::sinks
