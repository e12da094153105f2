/*
 * string.h - the freestanding subset of <string.h> the runtime provides to
 * programs (kernel/string.c).
 */
#ifndef RT_STRING_H
#define RT_STRING_H

#include <stddef.h>

void  *memcpy(void *restrict d, const void *restrict s, size_t n);
void  *memmove(void *d, const void *s, size_t n);
void  *memset(void *d, int c, size_t n);
int    memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int    strcmp(const char *a, const char *b);
int    strncmp(const char *a, const char *b, size_t n);
char  *strchr(const char *s, int c);
char  *strcpy(char *d, const char *s);
char  *strncpy(char *d, const char *s, size_t n);

#endif
