#ifndef DATASETKIT_CCURL_H
#define DATASETKIT_CCURL_H
/* libcurl, opened on first use. libcurl and what it links (nghttp2, ssh2, rtmp, LDAP, Kerberos, ...) cost every
 * command a few milliseconds of start-up, `datasetkit --version` included, though only the crawler talks HTTP.
 * So nothing here links libcurl: dsk_curl_open() dlopens libcurl.so.4 once and looks up the functions below;
 * curl.h is read for its types and constants only. Call dsk_curl_open() (and check it) before anything else;
 * until it succeeds the functions that make handles return NULL. curl_easy_setopt and curl_easy_getinfo are
 * variadic: the typed wrappers are what Swift can call. */
#include <curl/curl.h>
#include <stddef.h>

/* Opens libcurl and runs curl_global_init, once per process (thread-safe). 0 on success; otherwise a non-zero
 * value, and `error` (of `capacity` bytes) says what failed. */
int dsk_curl_open(char *error, size_t capacity);
/* The opened libcurl's version, e.g. "7.88.1" ("" before dsk_curl_open succeeded). */
const char *dsk_curl_version(void);

CURL *dsk_curl_easy_init(void);
void dsk_curl_easy_cleanup(CURL *h);
void dsk_curl_easy_reset(CURL *h);
const char *dsk_curl_easy_strerror(CURLcode code);
CURLM *dsk_curl_multi_init(void);
CURLMcode dsk_curl_multi_cleanup(CURLM *m);
CURLMcode dsk_curl_multi_add_handle(CURLM *m, CURL *h);
CURLMcode dsk_curl_multi_remove_handle(CURLM *m, CURL *h);
CURLMcode dsk_curl_multi_perform(CURLM *m, int *running);
CURLMsg *dsk_curl_multi_info_read(CURLM *m, int *left);
CURLMcode dsk_curl_multi_poll(CURLM *m, int timeout_ms);
struct curl_slist *dsk_curl_slist_append(struct curl_slist *list, const char *text);
void dsk_curl_slist_free_all(struct curl_slist *list);

CURLcode dsk_curl_setopt_long(CURL *h, CURLoption o, long v);
CURLcode dsk_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v);
CURLcode dsk_curl_setopt_string(CURL *h, CURLoption o, const char *v);
CURLcode dsk_curl_setopt_pointer(CURL *h, CURLoption o, void *v);
CURLcode dsk_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v);
typedef size_t (*dsk_curl_data_callback)(char *, size_t, size_t, void *);
CURLcode dsk_curl_setopt_data_callback(CURL *h, CURLoption o, dsk_curl_data_callback v);
typedef int (*dsk_curl_xferinfo_callback)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
CURLcode dsk_curl_setopt_xferinfo(CURL *h, dsk_curl_xferinfo_callback v);
typedef curl_socket_t (*dsk_curl_opensocket_callback)(void *, curlsocktype, struct curl_sockaddr *);
CURLcode dsk_curl_setopt_opensocket(CURL *h, dsk_curl_opensocket_callback v);
CURLcode dsk_curl_setopt_opensocket_data(CURL *h, void *v);
CURLcode dsk_curl_getinfo_long(CURL *h, CURLINFO i, long *v);
CURLcode dsk_curl_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v);
CURLcode dsk_curl_getinfo_string(CURL *h, CURLINFO i, char **v);
CURLcode dsk_curl_getinfo_pointer(CURL *h, CURLINFO i, void **v);
CURLMcode dsk_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v);
CURLMcode dsk_curl_multi_setopt_pointer(CURLM *m, CURLMoption o, void *v);

/* The message's easy handle and result (CURLMsg holds them in a union Swift reads awkwardly). */
static inline CURL *dsk_curl_msg_easy(CURLMsg *m) { return m->easy_handle; }
static inline int dsk_curl_msg_done(CURLMsg *m) { return m->msg == CURLMSG_DONE; }
static inline CURLcode dsk_curl_msg_result(CURLMsg *m) { return m->data.result; }

/* The address libcurl is about to connect to: family (AF_INET / AF_INET6, else 0), raw bytes into out[16]. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
static inline int dsk_curl_sockaddr_bytes(const struct curl_sockaddr *a, unsigned char out[16]) {
  if (a->family == AF_INET && a->addrlen >= sizeof(struct sockaddr_in)) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)&a->addr;
    memcpy(out, &in->sin_addr, 4);
    return AF_INET;
  }
  if (a->family == AF_INET6 && a->addrlen >= sizeof(struct sockaddr_in6)) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->addr;
    memcpy(out, &in6->sin6_addr, 16);
    return AF_INET6;
  }
  return 0;
}
static inline int dsk_curl_sockaddr_port(const struct curl_sockaddr *a) {
  if (a->family == AF_INET) return ntohs(((const struct sockaddr_in *)&a->addr)->sin_port);
  if (a->family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)&a->addr)->sin6_port);
  return 0;
}
#endif
