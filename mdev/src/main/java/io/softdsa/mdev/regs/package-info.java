/**
 * BAR0 of the virtual DSA: the register map and table layouts (one descriptor class per structure, each with its
 * diagram), {@link io.softdsa.mdev.regs.Bar0Registers}, the MMIO decode with per-bit RO / RW / W1C semantics over a
 * register block private to it, and {@link io.softdsa.mdev.regs.MsixTable}, the MSI-X table, PBA and permission
 * table with the MSI-X delivery rule.
 */
package io.softdsa.mdev.regs;
