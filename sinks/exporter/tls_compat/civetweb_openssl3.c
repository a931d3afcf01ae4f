/* A work-around for Debian 12's civetweb (1.15), which crashes on every TLS connection.
 *
 * civetweb loads OpenSSL at run time: dlopen("libssl.so"), then dlsym() of each function it
 * uses. Debian built it for the OpenSSL 1.1 API, but Debian 12 ships OpenSSL 3, where
 * SSL_get_peer_certificate() became SSL_get1_peer_certificate() (the old name is only a macro).
 * dlsym() returns NULL for it, and civetweb calls that NULL after each TLS handshake.
 *
 * This file is built as a shared library whose SONAME is "libssl.so" and which depends on the
 * real libssl.so.3. The exporter dlopen()s it when TLS is configured, before civetweb starts;
 * civetweb's dlopen("libssl.so") then finds this already-loaded object by its SONAME, and its
 * dlsym() calls search this library and, below it, the real libssl and libcrypto. The one
 * missing name resolves here.
 *
 * SSL_get1_peer_certificate() is the same function under its new name: both return the
 * certificate with its reference count raised (the caller frees it, as civetweb does). */
#include <openssl/ssl.h>

#undef SSL_get_peer_certificate

X509* SSL_get_peer_certificate(const SSL* s);
X509* SSL_get_peer_certificate(const SSL* s) { return SSL_get1_peer_certificate(s); }

/* Looked up by the exporter after dlopen(), to know it loaded this library and not another. */
int logtally_civetweb_openssl3_shim(void);
int logtally_civetweb_openssl3_shim(void) { return 1; }
