#ifndef CSSL_SHIM_H
#define CSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>

/* SSL_set_tlsext_host_name is a macro, which Swift cannot call. */
static inline long cssl_set_server_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}
#endif
