/*
 * svm/iopm.h - the I/O permission map (IOPM), APM Vol 2 §15.10.1
 * "I/O Permissions Map".
 *
 * 12 KiB, one bit per port (1 = intercept).  An access of size s to port p
 * exits if any bit of p .. p+s-1 is set, which is why a 4-byte access to
 * port 0xFFFF reads bits 0x10000-0x10002 in the third page.  Used only while
 * intercept vector 3 bit 27 (INTERCEPT_IOIO_PROT) is set.
 */
#ifndef SVM_IOPM_H
#define SVM_IOPM_H

#include "lib/types.h"

#define IOPM_SIZE       0x3000  /* three 4 KiB pages, physically contiguous */

/* Fills the map with ones: every port is intercepted (also the spill bits). */
void iopm_init(u8 *iopm);

/* Sets or clears the intercept bit of one port. */
void iopm_set(u8 *iopm, u16 port, bool intercept);

/*
 * Whether an access of size_bytes (1, 2 or 4) at port exits, i.e. whether any
 * bit of port .. port+size_bytes-1 is set, reading past 0xFFFF into the
 * third page as the hardware does.
 */
bool iopm_intercepted(const u8 *iopm, u16 port, unsigned size_bytes);

#endif
