/* The name "libcrypto.so" for civetweb, without the OpenSSL development package.
 *
 * When TLS is on, civetweb (Debian 12's 1.15) dlopen()s "libcrypto.so" as well as "libssl.so".
 * Those unversioned names are symlinks that only libssl-dev installs; a system with just the
 * runtime (libssl3) has libcrypto.so.3 only, and civetweb then cannot start TLS. This file is
 * built as a shared library whose SONAME is "libcrypto.so" and which depends on the real
 * libcrypto.so.3. The exporter dlopen()s it, from the folder of the libssl.so shim
 * (civetweb_openssl3.c), before civetweb starts; civetweb's dlopen("libcrypto.so") then finds
 * this already-loaded object by its SONAME, and its dlsym() calls search, below it, the real
 * libcrypto. */

/* Looked up by the exporter after dlopen(), to know it loaded this library and not another. */
int logtally_crypto_soname_shim(void);
int logtally_crypto_soname_shim(void) { return 1; }
