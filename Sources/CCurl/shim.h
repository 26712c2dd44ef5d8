#ifndef DATASETKIT_CCURL_SHIM_H
#define DATASETKIT_CCURL_SHIM_H
#include <curl/curl.h>

/* curl_easy_setopt and curl_easy_getinfo are variadic: typed wrappers Swift can call. */
static inline CURLcode dsk_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode dsk_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode dsk_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode dsk_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode dsk_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
typedef size_t (*dsk_curl_data_callback)(char *, size_t, size_t, void *);
static inline CURLcode dsk_curl_setopt_data_callback(CURL *h, CURLoption o, dsk_curl_data_callback v) { return curl_easy_setopt(h, o, v); }
typedef int (*dsk_curl_xferinfo_callback)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
static inline CURLcode dsk_curl_setopt_xferinfo(CURL *h, dsk_curl_xferinfo_callback v) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v); }
static inline CURLcode dsk_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode dsk_curl_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode dsk_curl_getinfo_string(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLMcode dsk_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

/* Multi interface and socket vetting (libcurl multi, CURLOPT_OPENSOCKETFUNCTION). */
static inline CURLMcode dsk_curl_multi_setopt_pointer(CURLM *m, CURLMoption o, void *v) { return curl_multi_setopt(m, o, v); }
typedef curl_socket_t (*dsk_curl_opensocket_callback)(void *, curlsocktype, struct curl_sockaddr *);
static inline CURLcode dsk_curl_setopt_opensocket(CURL *h, dsk_curl_opensocket_callback v) { return curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, v); }
static inline CURLcode dsk_curl_setopt_opensocket_data(CURL *h, void *v) { return curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, v); }
static inline CURLcode dsk_curl_getinfo_pointer(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
/* The message's easy handle and result (CURLMsg holds them in a union Swift reads awkwardly). */
static inline CURL *dsk_curl_msg_easy(CURLMsg *m) { return m->easy_handle; }
static inline int dsk_curl_msg_done(CURLMsg *m) { return m->msg == CURLMSG_DONE; }
static inline CURLcode dsk_curl_msg_result(CURLMsg *m) { return m->data.result; }
/* The address libcurl is about to connect to: family (AF_INET / AF_INET6, else 0), raw bytes into out[16]. */
#include <string.h>
#include <netinet/in.h>
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
