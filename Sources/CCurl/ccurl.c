#include "ccurl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

/* The libcurl functions datasetkit calls, looked up by name in the opened library. */
static struct {
  CURLcode (*global_init)(long);
  curl_version_info_data *(*version_info)(CURLversion);
  CURL *(*easy_init)(void);
  void (*easy_cleanup)(CURL *);
  void (*easy_reset)(CURL *);
  const char *(*easy_strerror)(CURLcode);
  CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
  CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
  CURLM *(*multi_init)(void);
  CURLMcode (*multi_cleanup)(CURLM *);
  CURLMcode (*multi_add_handle)(CURLM *, CURL *);
  CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
  CURLMcode (*multi_perform)(CURLM *, int *);
  CURLMsg *(*multi_info_read)(CURLM *, int *);
  CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd[], unsigned int, int, int *);
  CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
  struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
  void (*slist_free_all)(struct curl_slist *);
} api;

static pthread_once_t open_once = PTHREAD_ONCE_INIT;
static int opened;
static char open_error[512];

/* Looks up `name`; on failure records which name is missing and returns NULL. */
static void *lookup(void *library, const char *name) {
  void *symbol = dlsym(library, name);
  if (symbol == NULL && open_error[0] == '\0') {
    snprintf(open_error, sizeof open_error, "libcurl has no %s (libcurl %s or later is needed)", name,
             LIBCURL_VERSION);
  }
  return symbol;
}

static void open_library(void) {
  /* The soname of libcurl 7.16 and later; the unversioned name is the -dev package's link. */
  static const char *const names[] = {"libcurl.so.4", "libcurl.so"};
  void *library = NULL;
  for (size_t i = 0; i < sizeof names / sizeof names[0] && library == NULL; i++) {
    library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
      const char *why = dlerror();
      snprintf(open_error, sizeof open_error, "cannot open libcurl (apt-get install libcurl4): %s",
               why ? why : names[i]);
    }
  }
  if (library == NULL) return;
  open_error[0] = '\0';
#define LOOKUP(field, name) *(void **)(&api.field) = lookup(library, name)
  LOOKUP(global_init, "curl_global_init");
  LOOKUP(version_info, "curl_version_info");
  LOOKUP(easy_init, "curl_easy_init");
  LOOKUP(easy_cleanup, "curl_easy_cleanup");
  LOOKUP(easy_reset, "curl_easy_reset");
  LOOKUP(easy_strerror, "curl_easy_strerror");
  LOOKUP(easy_setopt, "curl_easy_setopt");
  LOOKUP(easy_getinfo, "curl_easy_getinfo");
  LOOKUP(multi_init, "curl_multi_init");
  LOOKUP(multi_cleanup, "curl_multi_cleanup");
  LOOKUP(multi_add_handle, "curl_multi_add_handle");
  LOOKUP(multi_remove_handle, "curl_multi_remove_handle");
  LOOKUP(multi_perform, "curl_multi_perform");
  LOOKUP(multi_info_read, "curl_multi_info_read");
  LOOKUP(multi_poll, "curl_multi_poll");
  LOOKUP(multi_setopt, "curl_multi_setopt");
  LOOKUP(slist_append, "curl_slist_append");
  LOOKUP(slist_free_all, "curl_slist_free_all");
#undef LOOKUP
  if (open_error[0] != '\0') return;
  CURLcode code = api.global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) {
    snprintf(open_error, sizeof open_error, "curl_global_init failed: %s", api.easy_strerror(code));
    return;
  }
  opened = 1;
}

int dsk_curl_open(char *error, size_t capacity) {
  pthread_once(&open_once, open_library);
  if (opened) return 0;
  if (error != NULL && capacity > 0) snprintf(error, capacity, "%s", open_error);
  return 1;
}

const char *dsk_curl_version(void) {
  if (!opened) return "";
  const curl_version_info_data *info = api.version_info(CURLVERSION_NOW);
  return info != NULL && info->version != NULL ? info->version : "";
}

CURL *dsk_curl_easy_init(void) { return opened ? api.easy_init() : NULL; }
void dsk_curl_easy_cleanup(CURL *h) { api.easy_cleanup(h); }
void dsk_curl_easy_reset(CURL *h) { api.easy_reset(h); }
const char *dsk_curl_easy_strerror(CURLcode code) {
  return opened ? api.easy_strerror(code) : "libcurl is not open";
}
CURLM *dsk_curl_multi_init(void) { return opened ? api.multi_init() : NULL; }
CURLMcode dsk_curl_multi_cleanup(CURLM *m) { return api.multi_cleanup(m); }
CURLMcode dsk_curl_multi_add_handle(CURLM *m, CURL *h) { return api.multi_add_handle(m, h); }
CURLMcode dsk_curl_multi_remove_handle(CURLM *m, CURL *h) { return api.multi_remove_handle(m, h); }
CURLMcode dsk_curl_multi_perform(CURLM *m, int *running) { return api.multi_perform(m, running); }
CURLMsg *dsk_curl_multi_info_read(CURLM *m, int *left) { return api.multi_info_read(m, left); }
CURLMcode dsk_curl_multi_poll(CURLM *m, int timeout_ms) { return api.multi_poll(m, NULL, 0, timeout_ms, NULL); }
struct curl_slist *dsk_curl_slist_append(struct curl_slist *list, const char *text) {
  return opened ? api.slist_append(list, text) : NULL;
}
void dsk_curl_slist_free_all(struct curl_slist *list) {
  if (list != NULL) api.slist_free_all(list);
}

CURLcode dsk_curl_setopt_long(CURL *h, CURLoption o, long v) { return api.easy_setopt(h, o, v); }
CURLcode dsk_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return api.easy_setopt(h, o, v); }
CURLcode dsk_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return api.easy_setopt(h, o, v); }
CURLcode dsk_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return api.easy_setopt(h, o, v); }
CURLcode dsk_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return api.easy_setopt(h, o, v); }
CURLcode dsk_curl_setopt_data_callback(CURL *h, CURLoption o, dsk_curl_data_callback v) {
  return api.easy_setopt(h, o, v);
}
CURLcode dsk_curl_setopt_xferinfo(CURL *h, dsk_curl_xferinfo_callback v) {
  return api.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v);
}
CURLcode dsk_curl_setopt_opensocket(CURL *h, dsk_curl_opensocket_callback v) {
  return api.easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, v);
}
CURLcode dsk_curl_setopt_opensocket_data(CURL *h, void *v) { return api.easy_setopt(h, CURLOPT_OPENSOCKETDATA, v); }
CURLcode dsk_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return api.easy_getinfo(h, i, v); }
CURLcode dsk_curl_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return api.easy_getinfo(h, i, v); }
CURLcode dsk_curl_getinfo_string(CURL *h, CURLINFO i, char **v) { return api.easy_getinfo(h, i, v); }
CURLcode dsk_curl_getinfo_pointer(CURL *h, CURLINFO i, void **v) { return api.easy_getinfo(h, i, v); }
CURLMcode dsk_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return api.multi_setopt(m, o, v); }
CURLMcode dsk_curl_multi_setopt_pointer(CURLM *m, CURLMoption o, void *v) { return api.multi_setopt(m, o, v); }
