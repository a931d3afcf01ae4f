// HTTP basic authentication against a crypt(3) password hash (libxcrypt), for the scrape
// endpoint.
//
// The config holds a hash, never a password: `openssl passwd -6` (SHA-512 crypt, `$6$`),
// `openssl passwd -5` (`$5$`), `mkpasswd -m bcrypt` or `htpasswd -nB` (bcrypt, `$2b$`/`$2y$`),
// `mkpasswd -m yescrypt` (`$y$`). Any method libxcrypt accepts works.
//
// Contract: every function is thread-safe and allocation is per call (civetweb serves requests
// on several threads); nothing here runs on the per-record path.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace logtally::sinks {

/// True when `hash` is a crypt(3) hash that libxcrypt can verify with (and not a legacy DES
/// hash or plain text mistaken for one).
bool valid_password_hash(const std::string& hash);

/// True when `password` hashes to `hash` (compared in constant time).
bool password_matches(const std::string& password, const std::string& hash);

struct BasicCredentials {
  std::string user;
  std::string password;
};

/// Parses an `Authorization: Basic <base64(user:password)>` header value; nullopt when it is
/// not one.
std::optional<BasicCredentials> parse_basic_authorization(std::string_view header);

/// Standard base64 (RFC 4648 section 4) of `in`, and its inverse (nullopt on bad input).
std::string base64_encode(std::string_view in, bool url_safe = false);
std::optional<std::string> base64_decode(std::string_view in);

}  // namespace logtally::sinks
