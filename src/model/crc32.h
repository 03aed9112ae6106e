/* CRC-32/ISO-HDLC, the zlib/PNG CRC: check("123456789") = 0xCBF43926.
 * Incremental: crc = mdm_crc32(crc, chunk, n) starting from 0. */
#ifndef MDM_MODEL_CRC32_H
#define MDM_MODEL_CRC32_H
#include <stddef.h>
#include <stdint.h>

uint32_t mdm_crc32(uint32_t crc, const void *data, size_t n);
#endif
