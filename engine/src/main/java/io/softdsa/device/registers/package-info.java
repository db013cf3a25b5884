/**
 * The device's capability registers (GENCAP, WQCAP, GRPCAP, ENGCAP, OPCAP) as one codec each: every field a named
 * {@link io.softdsa.memory.BitField}, used by the engine's capabilities to encode and by a virtual device's register
 * file and guest driver to decode.
 */
package io.softdsa.device.registers;
