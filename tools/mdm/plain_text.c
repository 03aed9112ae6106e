/* Prompts and questions as people type them, made into what the demo
 * model's lowercase vocabulary knows: "A photo of a Sneaker." becomes
 * "a photo of a sneaker".  Only ASCII letters change case; a final '.' or
 * '!' and the spaces around the text go (a final '?' stays: questions were
 * trained with it).  The library itself takes text as given. */
#include "cli.h"
#include <stdlib.h>
#include <string.h>

char *cli_plain_text(const char *in) {
    size_t a = 0, b = strlen(in);
    while (a < b && (in[a] == ' ' || in[a] == '\t' || in[a] == '\n' || in[a] == '\r'))
        a++;
    while (b > a && (in[b - 1] == ' ' || in[b - 1] == '\t' || in[b - 1] == '\n' ||
                     in[b - 1] == '\r' || in[b - 1] == '.' || in[b - 1] == '!'))
        b--;
    char *out = malloc(b - a + 1);
    if (!out)
        return NULL;
    for (size_t i = a; i < b; i++) {
        char c = in[i];
        out[i - a] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    out[b - a] = 0;
    return out;
}
