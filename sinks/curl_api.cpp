#include "sinks/curl_api.h"

#include <dlfcn.h>

namespace logtally::sinks {

namespace {

struct Loaded {
  CurlApi api{};
  std::string error;
  bool ok = false;
};

template <class F>
bool bind(void* lib, const char* name, F& out, std::string& error) {
  void* sym = dlsym(lib, name);
  if (sym == nullptr) {
    error = std::string("libcurl.so.4 has no symbol ") + name;
    return false;
  }
  out = reinterpret_cast<F>(sym);
  return true;
}

Loaded load() {
  Loaded l;
  void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* e = dlerror();
    l.error = std::string("cannot load libcurl.so.4 (Debian package libcurl4): ") + (e ? e : "");
    return l;
  }
  CURLcode (*global_init)(long) = nullptr;
  CurlApi& a = l.api;
  if (!bind(lib, "curl_global_init", global_init, l.error) ||
      !bind(lib, "curl_easy_init", a.easy_init, l.error) ||
      !bind(lib, "curl_easy_cleanup", a.easy_cleanup, l.error) ||
      !bind(lib, "curl_easy_reset", a.easy_reset, l.error) ||
      !bind(lib, "curl_easy_setopt", a.easy_setopt, l.error) ||
      !bind(lib, "curl_easy_perform", a.easy_perform, l.error) ||
      !bind(lib, "curl_easy_getinfo", a.easy_getinfo, l.error) ||
      !bind(lib, "curl_easy_strerror", a.easy_strerror, l.error) ||
      !bind(lib, "curl_slist_append", a.slist_append, l.error) ||
      !bind(lib, "curl_slist_free_all", a.slist_free_all, l.error)) {
    return l;
  }
  // curl_global_init is not thread-safe; the static in curl_api() runs this exactly once.
  if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    l.error = "curl_global_init failed";
    return l;
  }
  l.ok = true;
  return l;  // The library stays loaded for the life of the process.
}

}  // namespace

const CurlApi* curl_api(std::string* error) {
  static const Loaded loaded = load();
  if (!loaded.ok) {
    if (error != nullptr) *error = loaded.error;
    return nullptr;
  }
  return &loaded.api;
}

}  // namespace logtally::sinks
