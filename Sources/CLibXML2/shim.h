#ifndef DATASETKIT_CLIBXML2_SHIM_H
#define DATASETKIT_CLIBXML2_SHIM_H
#include <libxml/xmlversion.h>
/* Debian builds libxml2 with ICU, whose headers clash with the ICU copy inside Foundation. Nothing
   here uses libxml2's ICU converters (documents are parsed from memory as UTF-8/Latin-1/UTF-16 by
   libxml2's own code), so the ICU declarations are left out. */
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

/// LIBXML_DOTTED_VERSION is a string macro; expose the runtime version instead.
static inline const char *dsk_xml_runtime_version(void) { return xmlParserVersion; }

/// xmlFree is a global function-pointer variable, which Swift 6 treats as shared mutable state.
static inline void dsk_xml_free(void *pointer) { xmlFree(pointer); }
#endif
