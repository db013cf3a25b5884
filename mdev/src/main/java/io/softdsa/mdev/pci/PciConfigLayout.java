package io.softdsa.mdev.pci;

/**
 * Layout of the virtual DSA's PCI Express configuration space (4 KiB): the type-0 header, a PCI Express capability,
 * the MSI-X capability, and the ATS, PASID and PRI extended capabilities (fact sheet section 14; capability
 * placement is a softdsa rule, the register formats are the PCI / PCIe specifications').
 *
 * <pre>
 *  0x000  vendor 0x8086 | device 0x0B25           RO
 *  0x004  command (RW: 1 memory space, 2 bus master, 6 parity response, 8 SERR#, 10 INTx disable)
 *         | status (RO: 4 capability list; W1C: 8, 11, 12, 13, 14, 15)
 *  0x008  revision | class code 0x088000 (base system peripheral, other)
 *  0x00C  cache line size (RW) | latency timer | header type 0x00 | BIST
 *  0x010  BAR0 low: bits 3:0 = 0xC (64-bit, prefetchable memory), size-aligned address bits RW  (BAR0 = MMIO)
 *  0x014  BAR0 high (RW)
 *  0x018  BAR2 low, 0x01C BAR2 high                                                            (BAR2 = portals)
 *  0x02C  subsystem vendor 0x8086 | subsystem id
 *  0x034  capability pointer = 0x40
 *  0x03C  interrupt line (RW) | interrupt pin 0 (no INTx)
 *  0x040  PCIe capability (id 0x10, next 0x80): +2 capabilities 0x0092 (v2, RC-integrated endpoint)
 *         +4 device capabilities (bit 28 FLR) | +8 device control (RW; bit 15 initiate FLR, reads 0)
 *         | +0xA device status (W1C bits 3:0) | +0x28 device control 2 (RW)
 *  0x080  MSI-X capability (id 0x11, next 0): +2 message control (10:0 table size - 1 RO, 14 function mask RW,
 *         15 enable RW) | +4 table offset/BIR (BAR0 + 0x2000) | +8 PBA offset/BIR (BAR0 + 0x3000)
 *  0x100  ATS ext. capability (id 0x000F, next 0x110): +4 capability (RO, 5 page-aligned request)
 *         | +6 control (RW: 4:0 STU, 15 enable)
 *  0x110  PASID ext. capability (id 0x001B, next 0x120): +4 capability (RO: 2 privileged mode supported,
 *         12:8 max PASID width 20) | +6 control (RW: 0 PASID enable, 2 privileged mode enable)
 *  0x120  PRI ext. capability (id 0x0013, next 0): +4 control (RW: 0 enable; 1 reset, write-only)
 *         | +6 status (W1C: 0 response failure, 1 unexpected group index; RO: 8 stopped, 15 PASID required)
 *         | +8 outstanding page request capacity (RO) | +0xC outstanding allocation (RW)
 * </pre>
 */
public final class PciConfigLayout {
    public static final int SIZE = 4096;

    public static final int VENDOR_ID = 0x00;
    public static final int DEVICE_ID = 0x02;
    public static final int COMMAND = 0x04;
    public static final int STATUS = 0x06;
    public static final int REVISION = 0x08;
    public static final int CLASS_CODE = 0x09;
    public static final int CACHE_LINE_SIZE = 0x0C;
    public static final int HEADER_TYPE = 0x0E;
    public static final int BAR0 = 0x10;
    public static final int BAR2 = 0x18;
    public static final int BAR4 = 0x20;
    public static final int SUBSYSTEM_VENDOR_ID = 0x2C;
    public static final int SUBSYSTEM_ID = 0x2E;
    public static final int EXPANSION_ROM = 0x30;
    public static final int CAPABILITY_POINTER = 0x34;
    public static final int INTERRUPT_LINE = 0x3C;
    public static final int INTERRUPT_PIN = 0x3D;

    public static final int VENDOR_INTEL = 0x8086;
    public static final int DEVICE_DSA_SPR = 0x0B25;
    public static final int CLASS_SYSTEM_PERIPHERAL_OTHER = 0x088000;

    public static final int COMMAND_MEMORY_SPACE = 1 << 1;
    public static final int COMMAND_BUS_MASTER = 1 << 2;
    public static final int COMMAND_PARITY_RESPONSE = 1 << 6;
    public static final int COMMAND_SERR = 1 << 8;
    public static final int COMMAND_INTX_DISABLE = 1 << 10;
    public static final int COMMAND_RW_MASK = COMMAND_MEMORY_SPACE | COMMAND_BUS_MASTER | COMMAND_PARITY_RESPONSE
        | COMMAND_SERR | COMMAND_INTX_DISABLE;
    public static final int STATUS_CAPABILITY_LIST = 1 << 4;
    /** Master data parity error, signaled/received target abort, received master abort, signaled SERR, parity. */
    public static final int STATUS_W1C_MASK = (1 << 8) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14) | (1 << 15);

    /** BAR low-dword type bits: memory, 64-bit (bits 2:1 = 10b), prefetchable. */
    public static final int BAR_MEMORY_64_PREFETCHABLE = 0xC;

    // PCI Express capability
    public static final int PCIE_CAP = 0x40;
    public static final int PCIE_CAP_ID = 0x10;
    public static final int PCIE_CAPABILITIES = PCIE_CAP + 0x02;
    public static final int PCIE_DEVICE_CAPABILITIES = PCIE_CAP + 0x04;
    public static final int PCIE_DEVICE_CONTROL = PCIE_CAP + 0x08;
    public static final int PCIE_DEVICE_STATUS = PCIE_CAP + 0x0A;
    public static final int PCIE_DEVICE_CONTROL2 = PCIE_CAP + 0x28;
    public static final int PCIE_CAP_LENGTH = 0x3C;
    public static final int PCIE_CAPABILITIES_VALUE = 0x0092;
    public static final int PCIE_DEVCAP_FLR = 1 << 28;
    public static final int PCIE_DEVCTL_INITIATE_FLR = 1 << 15;
    public static final int PCIE_DEVCTL_RW_MASK = 0x7FFF;
    public static final int PCIE_DEVSTA_W1C_MASK = 0xF;

    // MSI-X capability
    public static final int MSIX_CAP = 0x80;
    public static final int MSIX_CAP_ID = 0x11;
    public static final int MSIX_MESSAGE_CONTROL = MSIX_CAP + 0x02;
    public static final int MSIX_TABLE_OFFSET_BIR = MSIX_CAP + 0x04;
    public static final int MSIX_PBA_OFFSET_BIR = MSIX_CAP + 0x08;
    public static final int MSIX_CONTROL_TABLE_SIZE_MASK = 0x7FF;
    public static final int MSIX_CONTROL_FUNCTION_MASK = 1 << 14;
    public static final int MSIX_CONTROL_ENABLE = 1 << 15;

    // extended capabilities: header = id (15:0) | version (19:16) | next (31:20)
    public static final int ATS_CAP = 0x100;
    public static final int ATS_ID = 0x000F;
    public static final int ATS_CAPABILITY = ATS_CAP + 0x04;
    public static final int ATS_CONTROL = ATS_CAP + 0x06;
    public static final int ATS_CAPABILITY_VALUE = 1 << 5;
    public static final int ATS_CONTROL_ENABLE = 1 << 15;
    public static final int ATS_CONTROL_RW_MASK = ATS_CONTROL_ENABLE | 0x1F;

    public static final int PASID_CAP = 0x110;
    public static final int PASID_ID = 0x001B;
    public static final int PASID_CAPABILITY = PASID_CAP + 0x04;
    public static final int PASID_CONTROL = PASID_CAP + 0x06;
    public static final int PASID_CAPABILITY_VALUE = (1 << 2) | (20 << 8);
    public static final int PASID_CONTROL_ENABLE = 1;
    public static final int PASID_CONTROL_PRIVILEGED = 1 << 2;
    public static final int PASID_CONTROL_RW_MASK = PASID_CONTROL_ENABLE | PASID_CONTROL_PRIVILEGED;

    public static final int PRI_CAP = 0x120;
    public static final int PRI_ID = 0x0013;
    public static final int PRI_CONTROL = PRI_CAP + 0x04;
    public static final int PRI_STATUS = PRI_CAP + 0x06;
    public static final int PRI_CAPACITY = PRI_CAP + 0x08;
    public static final int PRI_ALLOCATION = PRI_CAP + 0x0C;
    public static final int PRI_CONTROL_ENABLE = 1;
    public static final int PRI_CONTROL_RESET = 1 << 1;
    public static final int PRI_STATUS_RESPONSE_FAILURE = 1;
    public static final int PRI_STATUS_UNEXPECTED_GROUP = 1 << 1;
    public static final int PRI_STATUS_STOPPED = 1 << 8;
    public static final int PRI_STATUS_PASID_REQUIRED = 1 << 15;
    public static final int PRI_CAPACITY_VALUE = 512;

    private PciConfigLayout() {
    }

    /** An extended capability header. */
    public static int extendedHeader(int id, int version, int next) {
        return id | (version << 16) | (next << 20);
    }
}
