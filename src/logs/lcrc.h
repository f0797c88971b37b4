/*
 * lcrc: CRC-32C (Castagnoli), the checksum of every record in the log disk
 * buffer. Uses the SSE4.2 crc32 instruction when the CPU has it (several
 * GB/s, so checksumming never limits the pipeline), a table otherwise.
 */
#ifndef BERTH_LCRC_H
#define BERTH_LCRC_H

#include <stddef.h>
#include <stdint.h>

/* crc of buf continuing from crc (start with 0). */
uint32_t lcrc32c(uint32_t crc, const void *buf, size_t len);

#endif
