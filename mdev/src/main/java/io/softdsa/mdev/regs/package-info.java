/**
 * BAR0 of the virtual DSA: the register map and table layouts (one descriptor class per structure, each with its
 * diagram) and {@link io.softdsa.mdev.regs.Bar0Registers}, the MMIO decode with per-bit RO / RW / W1C semantics.
 */
package io.softdsa.mdev.regs;
