// CurlApi: libcurl, loaded with dlopen() the first time a sink needs HTTP.
//
// Why not link it: libcurl pulls in about 30 shared libraries (TLS, Kerberos, LDAP, SSH, ...)
// whose relocation alone adds ~6.5 MiB to the resident size of every logtally process, the
// sidecar that pushes nothing included (measured: a C `main` linked with -lcurl peaks at 7.7 MiB,
// without it at 1.0 MiB). Loading it on demand keeps that cost for configs that push.
//
// Contract: curl_api() is thread-safe; the first call loads libcurl.so.4 and runs
// curl_global_init(); later calls return the same table. It returns nullptr (and sets *error)
// when the library or a symbol is missing.
#pragma once

#include <curl/curl.h>

#include <string>

namespace logtally::sinks {

struct CurlApi {
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  void (*easy_reset)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
};

const CurlApi* curl_api(std::string* error);

}  // namespace logtally::sinks
