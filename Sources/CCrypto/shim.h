#ifndef DATASETKIT_CCRYPTO_SHIM_H
#define DATASETKIT_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/sha.h>
#endif
